# Copyright (c) docseg_mm contributors. All rights reserved.
"""Semantic segmentation of document pages, with optional page-level tags."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.fileio import get_local_path
from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset

from docseg_mm.registry import DATASETS
from .doclaynet import DocLayNetDataset


class TagsFormatError(ValueError):
    """A page-tags file is malformed or disagrees with the image list."""


def read_tags_file(tags_file: str,
                   backend_args: Optional[dict] = None) -> Dict:
    """Read a page-tags json ``{"classes": [...], "tags": {file: [...]}}``.

    Args:
        tags_file (str): Path of the json (as written by
            :func:`docseg_mm.datasets.converters.coco_to_semantic`).
        backend_args (dict, optional): File backend arguments.
            Defaults to None.

    Returns:
        dict: ``classes`` (list of names) and ``tags`` (file name -> names).

    Raises:
        TagsFormatError: If the file is not such a json; the message names
            the file and the offending entry.
    """
    with get_local_path(tags_file, backend_args=backend_args) as path:
        try:
            with open(path) as f:
                data = json.load(f)
        except json.JSONDecodeError as e:
            raise TagsFormatError(f'{tags_file}: not valid json ({e})') from e
    if not isinstance(data, dict) or not isinstance(data.get('tags'), dict):
        raise TagsFormatError(
            f'{tags_file}: expected {{"classes": [...], "tags": '
            '{file_name: [class names]}}')
    classes = data.get('classes')
    if classes is not None and not (isinstance(classes, list) and all(
            isinstance(c, str) for c in classes)):
        raise TagsFormatError(f'{tags_file}: "classes" must be a list of '
                              'class names')
    for name, tags in data['tags'].items():
        if not isinstance(tags, list) or not all(
                isinstance(t, str) for t in tags):
            raise TagsFormatError(f'{tags_file}: tags of {name!r} must be a '
                                  f'list of class names, got {tags!r}')
    return data


@DATASETS.register_module()
class DocSemSegDataset(BaseSegDataset):
    """Pages with semantic masks, split lists and optional page-level tags.

    The layout follows mmseg's ``ann_file`` convention (the demo set and
    :func:`~docseg_mm.datasets.converters.coco_to_semantic` write it)::

        data_root/
            PNG/<stem>.png                  page images (``img_path``)
            SEM/<stem>.png                  masks (``seg_map_path``): 0 is
                                            background, i + 1 is class i of
                                            the tags' class list, 255 ignored
            SEM/train.txt  SEM/val.txt      image stems of each split
            SEM/train_tags.json             optional page-level tags
                {"classes": [...], "tags": {"<stem>.png": ["Table", ...]}}

    With ``tags_file`` every data info gets ``img_labels``, a float32
    multi-hot vector over the foreground classes (``classes[1:]``; class 0 is
    background), which the weakly supervised models read; pages whose tags
    are missing, or tags naming an unknown class, raise
    :class:`TagsFormatError` naming the tags file and the page. Each data
    info also carries ``num_classes`` so that
    :class:`~docseg_mm.datasets.transforms.LoadSemSegAnnotations` can reject
    a mask with values outside the class range, naming the file.

    Args:
        ann_file (str): Split list, one image stem per line (relative to
            ``data_root``). Defaults to ''.
        img_suffix (str): Image suffix. Defaults to '.png'.
        seg_map_suffix (str): Mask suffix. Defaults to '.png'.
        tags_file (str, optional): Page-tags json (relative to
            ``data_root``). Defaults to None (no image labels).
        **kwargs: Other arguments of mmseg's ``BaseSegDataset``
            (``data_root``, ``data_prefix``, ``pipeline``, ``metainfo`` ...).
    """

    METAINFO: dict = dict(
        classes=('background', ) + DocLayNetDataset.METAINFO['classes'],
        palette=[(255, 255, 255), (220, 20, 60), (255, 127, 14),
                 (188, 189, 34), (44, 160, 44), (127, 127, 127),
                 (148, 103, 189), (214, 39, 40), (31, 119, 180),
                 (140, 86, 75), (23, 190, 207), (227, 119, 194)])

    def __init__(self,
                 ann_file: str = '',
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 tags_file: Optional[str] = None,
                 **kwargs) -> None:
        self.tags_file = tags_file
        super().__init__(
            ann_file=ann_file,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            **kwargs)

    def _join_prefix(self) -> None:
        super()._join_prefix()
        if self.tags_file and self.data_root and not osp.isabs(
                self.tags_file):
            self.tags_file = osp.join(self.data_root, self.tags_file)

    def load_data_list(self) -> List[dict]:
        """Read the split list and attach ``img_labels`` from the tags."""
        if self.ann_file and not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'split list {self.ann_file} not found')
        data_list = super().load_data_list()
        classes = list(self.metainfo['classes'])
        for info in data_list:
            info['num_classes'] = len(classes)
        if self.tags_file:
            self._attach_tags(data_list, classes)
        return data_list

    def _attach_tags(self, data_list: List[dict],
                     classes: Sequence[str]) -> None:
        data = read_tags_file(self.tags_file, self.backend_args)
        tags = data['tags']
        fg = list(classes[1:])
        index = {name: i for i, name in enumerate(fg)}
        unknown = [c for c in data.get('classes') or [] if c not in classes]
        if unknown and not self.label_map:
            raise TagsFormatError(
                f'{self.tags_file}: classes {unknown} are not classes of '
                f'{type(self).__name__} {tuple(classes)}')
        img_root = self.data_prefix.get('img_path') or ''
        used = 0
        for info in data_list:
            name = osp.relpath(info['img_path'], img_root) if img_root \
                else info['img_path']
            if name not in tags:
                raise TagsFormatError(
                    f'{self.tags_file}: no tags for {name!r}, listed in '
                    f'{self.ann_file or img_root}; the tags file and the '
                    'image list disagree')
            labels = np.zeros(len(fg), np.float32)
            for tag in tags[name]:
                if tag in index:
                    labels[index[tag]] = 1.
                elif tag not in classes and not self.label_map:
                    raise TagsFormatError(
                        f'{self.tags_file}: page {name!r} has tag {tag!r}, '
                        f'not a class of {type(self).__name__}')
            info['img_labels'] = labels
            used += 1
        extra = len(tags) - used
        if extra > 0:
            print_log(
                f'{self.tags_file}: {extra} tagged pages are not in '
                f'{self.ann_file or img_root} (ignored)', logger='current')
