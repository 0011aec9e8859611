# Copyright (c) docseg_mm contributors. All rights reserved.
"""Semantic segmentation of document pages, with optional page-level tags."""
import os.path as osp
from typing import List, Optional, Sequence

from mmseg.datasets import BaseSegDataset

from docseg_mm.registry import DATASETS
from .ann_tags import (TagsFormatError, check_tag_classes, read_tags_file,
                       tags_to_multi_hot)
from .doclaynet import DocLayNetDataset
from .skip_report import MISSING_MODES, SkipReportMixin

__all__ = ['DocSemSegDataset', 'TagsFormatError', 'read_tags_file']


@DATASETS.register_module()
class DocSemSegDataset(SkipReportMixin, BaseSegDataset):
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
    :class:`TagsFormatError` naming the tags file and the page (the checks
    are :mod:`~docseg_mm.datasets.ann_tags`'s). Listed pages whose image is
    missing raise an error naming the list and line, or, with
    ``missing_images='skip'``, are counted in :attr:`skipped` and left out;
    every load logs one line (pages, tags, skips, tagged pages not in the
    list). Each data info also carries ``num_classes`` so that
    :class:`~docseg_mm.datasets.transforms.LoadSemSegAnnotations` can reject
    a mask with values outside the class range, naming the file.

    Args:
        ann_file (str): Split list, one image stem per line (relative to
            ``data_root``). Defaults to ''.
        img_suffix (str): Image suffix. Defaults to '.png'.
        seg_map_suffix (str): Mask suffix. Defaults to '.png'.
        tags_file (str, optional): Page-tags json (relative to
            ``data_root``). Defaults to None (no image labels).
        missing_images (str): Listed pages without an image file:
            ``'error'``, ``'skip'`` (count as ``missing_image``, log and
            drop) or ``'defer'`` (no check; the loader reports them).
            Defaults to ``'error'``.
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
                 missing_images: str = 'error',
                 **kwargs) -> None:
        if missing_images not in MISSING_MODES:
            raise ValueError(f'missing_images must be one of '
                             f'{MISSING_MODES}, got {missing_images!r}')
        self.tags_file = tags_file
        self.missing_images = missing_images
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

    #: Tagged pages that the split list does not name: noted, not an error.
    NOTICE_REASONS = frozenset({'tagged_not_listed'})

    def load_data_list(self) -> List[dict]:
        """Read the split list, check the images, attach ``img_labels``."""
        if self.ann_file and not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'split list {self.ann_file} not found')
        self._reset_skips()
        data_list = super().load_data_list()
        if self.ann_file:
            wheres = [f'{self.ann_file}:{i + 1}'
                      for i in range(len(data_list))]
        else:
            wheres = [f'{self.data_prefix.get("img_path", "")}'] * len(
                data_list)
        keep = self._keep_existing([d['img_path'] for d in data_list],
                                   wheres, self.missing_images,
                                   self.backend_args)
        data_list = [data_list[i] for i in keep]
        classes = list(self.metainfo['classes'])
        for info in data_list:
            info['num_classes'] = len(classes)
        source = self.ann_file or self.data_prefix.get('img_path', '')
        msg = f'{type(self).__name__}: {len(data_list)} pages of {source}'
        if self.tags_file:
            self._attach_tags(data_list, classes)
            msg += f' with tags of {self.tags_file}'
        self._log_load_summary(msg, label='first')
        return data_list

    def _attach_tags(self, data_list: List[dict],
                     classes: Sequence[str]) -> None:
        data = read_tags_file(self.tags_file, self.backend_args)
        tags = data['tags']
        owner = type(self).__name__
        if not self.label_map:
            check_tag_classes(data, classes, self.tags_file, owner)
        img_root = self.data_prefix.get('img_path') or ''
        listed = set()
        for info in data_list:
            name = osp.relpath(info['img_path'], img_root) if img_root \
                else info['img_path']
            if name not in tags:
                raise TagsFormatError(
                    f'{self.tags_file}: no tags for {name!r}, listed in '
                    f'{self.ann_file or img_root}; the tags file and the '
                    'image list disagree')
            info['img_labels'] = tags_to_multi_hot(
                tags[name], classes, self.tags_file, name, owner,
                allow_unknown=bool(self.label_map))
            listed.add(name)
        for name in tags:
            if name not in listed:
                self._skip('tagged_not_listed', name)
