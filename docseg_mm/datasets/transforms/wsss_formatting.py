# Copyright (c) docseg_mm contributors. All rights reserved.
"""Packing of image-level labels and labelled / unlabelled flags."""
from mmcv.transforms import BaseTransform
from mmseg.datasets.transforms import PackSegInputs

from docseg_mm.registry import TRANSFORMS

#: mmseg's default meta keys plus the weak-supervision fields.
WSSS_META_KEYS = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
                  'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                  'reduce_zero_label', 'img_labels', 'labeled')


@TRANSFORMS.register_module()
class PackWSSSInputs(PackSegInputs):
    """mmseg's ``PackSegInputs`` that also keeps ``img_labels`` (multi-hot
    foreground labels) and ``labeled`` (pixel labels usable) in the data
    sample's meta information (keys absent from a sample are skipped).

    Args:
        meta_keys (Sequence[str]): Defaults to :data:`WSSS_META_KEYS`.
    """

    def __init__(self, meta_keys=WSSS_META_KEYS) -> None:
        super().__init__(meta_keys=meta_keys)


@TRANSFORMS.register_module()
class SetLabeled(BaseTransform):
    """Mark a sample as pixel-labelled (or not) for semi-supervised
    training: sets ``results['labeled']``.

    Args:
        labeled (bool): The flag. Defaults to True.
    """

    def __init__(self, labeled: bool = True) -> None:
        self.labeled = labeled

    def transform(self, results: dict) -> dict:
        results['labeled'] = self.labeled
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(labeled={self.labeled})'
