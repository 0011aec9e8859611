# Copyright (c) docseg_mm contributors. All rights reserved.
"""Semantic mask loading with value checks, and image labels from masks."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.datasets.transforms import LoadAnnotations

from docseg_mm.registry import TRANSFORMS


class SegMapValueError(ValueError):
    """A semantic mask holds values outside the class range."""


@TRANSFORMS.register_module()
class LoadSemSegAnnotations(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` that names the file on a bad mask.

    After loading (and mmseg's label mapping) every value must be a class
    index ``0 .. num_classes - 1`` or ``ignore_index``; otherwise a
    :class:`SegMapValueError` names the mask file and the bad values. A
    missing or undecodable file raises ``FileNotFoundError`` / ``OSError``
    naming it.

    ``num_classes`` comes from the data info (set by
    :class:`~docseg_mm.datasets.DocSemSegDataset`) or from the argument;
    without either the values are not checked.

    Args:
        num_classes (int, optional): Number of classes including background.
            Defaults to None (read ``results['num_classes']``).
        ignore_index (int): Ignored label value. Defaults to 255.
        **kwargs: Arguments of mmseg's ``LoadAnnotations``.
    """

    def __init__(self,
                 num_classes: Optional[int] = None,
                 ignore_index: int = 255,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def _load_seg_map(self, results: dict) -> None:
        path = results['seg_map_path']
        try:
            super()._load_seg_map(results)
        except FileNotFoundError as e:
            raise FileNotFoundError(f'mask {path} not found') from e
        except (OSError, ValueError, AttributeError) as e:
            raise OSError(f'cannot decode mask {path}: {e}') from e
        num_classes = results.get('num_classes', self.num_classes)
        if num_classes is None:
            return
        values = np.unique(results['gt_seg_map'])
        bad = values[(values >= num_classes) & (values != self.ignore_index)]
        if bad.size:
            raise SegMapValueError(
                f'mask {path} has values {bad.tolist()} outside the class '
                f'range 0..{num_classes - 1} (and ignore {self.ignore_index})')


@TRANSFORMS.register_module()
class ImageLabelsFromSegMap(BaseTransform):
    """Image-level labels from the classes present in the semantic mask.

    As in SLRNet / 1-stage-wseg for VOC: ``img_labels[c - 1] = 1`` for every
    value ``c`` in the mask other than background (0) and ``ignore_index``.
    Put it right after loading, before any crop, so that the labels describe
    the whole image. Existing ``img_labels`` (e.g. from page tags) are kept
    unless ``overwrite``.

    Required Keys: ``gt_seg_map``.

    Added Keys: ``img_labels`` (float32, ``num_classes - 1``).

    Args:
        num_classes (int): Number of classes including background.
        ignore_index (int): Ignored label value. Defaults to 255.
        overwrite (bool): Replace existing ``img_labels``.
            Defaults to False.
    """

    def __init__(self,
                 num_classes: int,
                 ignore_index: int = 255,
                 overwrite: bool = False) -> None:
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.overwrite = overwrite

    def transform(self, results: dict) -> dict:
        if 'img_labels' in results and not self.overwrite:
            return results
        values = np.unique(results['gt_seg_map'])
        values = values[(values != 0) & (values != self.ignore_index)]
        if (values >= self.num_classes).any():
            raise SegMapValueError(
                f'mask {results.get("seg_map_path")} has values '
                f'{values[values >= self.num_classes].tolist()} outside the '
                f'class range 0..{self.num_classes - 1}')
        labels = np.zeros(self.num_classes - 1, np.float32)
        labels[values.astype(np.int64) - 1] = 1.
        results['img_labels'] = labels
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index})')
