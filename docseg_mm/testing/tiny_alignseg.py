# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tiny-dataset writers for the AlignSeg configs.

* ``PVOCDataset``: the Leopart PVOC layout (``images/``,
  ``SegmentationClass[Aug]/``, ``sets/*.txt``);
* ``CocoStuff27Dataset``: ``images/<split>2017``, ``stuffthingmaps`` PNGs
  and a ``stuffthing_2017.json`` with the 27 supercategories plus "other";
* ``BaseSegDataset`` (mmseg's, used for the document pages).

Images are random-noise JPEG/PNG pages; masks hold random labels of the
config's classes and some 255 (ignored) pixels.
"""
import copy
import json
import os
import os.path as osp
import zlib
from typing import List, Optional, Sequence

import cv2
import numpy as np

from .tiny_datasets import register_tiny_writer

NUM_SAMPLES = 3
IMAGE_SIZE = (72, 96)  # (h, w)


def _rng(root: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(root.encode()))


def _write_image(path: str, rng: np.random.Generator,
                 size=IMAGE_SIZE) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
    if not cv2.imwrite(path, img):
        raise OSError(f'cannot write {path}')


def _write_mask(path: str, rng: np.random.Generator, values: Sequence[int],
                size=IMAGE_SIZE) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    mask = rng.choice(np.asarray(values, np.uint8), size=size)
    mask[:4] = 255
    if not cv2.imwrite(path, mask):
        raise OSError(f'cannot write {path}')


def _join(root: str, *parts: Optional[str]) -> str:
    return osp.join(root, *[p for p in parts if p])


def _prefix(cfg: dict, key: str) -> Optional[str]:
    prefix = cfg.get('data_prefix') or {}
    return prefix.get(key) if isinstance(prefix, dict) else prefix


def _write_split(root: str, ann_file: str, names: List[str]) -> None:
    path = _join(root, ann_file)
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(names) + '\n')


def _seg_dataset(cfg: dict, root: str, num_classes: int,
                 img_suffix: str, seg_suffix: str,
                 label_values: Optional[Sequence[int]] = None) -> dict:
    """Images (and masks when the config has a mask folder) for an mmseg
    ``BaseSegDataset``-like config; a split list when it has one."""
    rng = _rng(root)
    names = [f'tiny_{i:03d}' for i in range(NUM_SAMPLES)]
    img_dir = _prefix(cfg, 'img_path')
    seg_dir = _prefix(cfg, 'seg_map_path')
    values = label_values if label_values is not None else range(num_classes)
    for name in names:
        _write_image(_join(root, img_dir, name + img_suffix), rng)
        if seg_dir:
            _write_mask(_join(root, seg_dir, name + seg_suffix), rng, values)
    if cfg.get('ann_file'):
        _write_split(root, cfg['ann_file'], names)
    cfg = copy.deepcopy(cfg)
    cfg['data_root'] = root
    return cfg


@register_tiny_writer('PVOCDataset')
def write_tiny_pvoc(dataset_cfg: dict, root: str) -> dict:
    """PVOC layout: JPEG images, 21-class PNG masks, ``sets/<split>.txt``."""
    cfg = copy.deepcopy(dataset_cfg)
    cfg.setdefault('ann_file', 'sets/val.txt')
    cfg.setdefault('data_prefix', dict(img_path='images',
                                       seg_map_path='SegmentationClass'))
    return _seg_dataset(cfg, root, 21, '.jpg', '.png')


#: One stand-in category per COCO-Stuff supercategory (ids are arbitrary
#: but in COCO's 1..182 range) and "other" = 183.
def tiny_stuffthing_categories() -> List[dict]:
    """Categories in the ``stuffthing_2017.json`` format."""
    from docseg_mm.datasets.coco_stuff27 import COCO_STUFF27_CLASSES
    cats = [dict(id=2 * i + 1, name=f'cat_{i}', supercategory=s)
            for i, s in enumerate(COCO_STUFF27_CLASSES)]
    return cats + [dict(id=183, name='other', supercategory='other')]


@register_tiny_writer('CocoStuff27Dataset')
def write_tiny_coco_stuff27(dataset_cfg: dict, root: str) -> dict:
    """``stuffthingmaps`` PNGs (value = category id - 1, 255 unlabelled)
    with the category json the dataset reads."""
    cfg = copy.deepcopy(dataset_cfg)
    cfg.setdefault('data_prefix', dict(
        img_path='images/val2017',
        seg_map_path='annotations/stuffthingmaps_trainval2017/val2017'))
    cats = tiny_stuffthing_categories()
    cat_file = cfg.get(
        'categories_file',
        'annotations/stuffthingmaps_trainval2017/stuffthing_2017.json')
    path = _join(root, cat_file)
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(dict(categories=cats), f)
    return _seg_dataset(cfg, root, 0, cfg.get('img_suffix', '.jpg'),
                        cfg.get('seg_map_suffix', '.png'),
                        label_values=[c['id'] - 1 for c in cats])


def write_tiny_base_seg(dataset_cfg: dict, root: str) -> dict:
    """mmseg ``BaseSegDataset``: ``img_path`` / ``seg_map_path`` folders,
    optional split list, masks over ``metainfo.classes``."""
    classes = (dataset_cfg.get('metainfo') or {}).get('classes') or ('a', 'b')
    return _seg_dataset(dataset_cfg, root, len(classes),
                        dataset_cfg.get('img_suffix', '.jpg'),
                        dataset_cfg.get('seg_map_suffix', '.png'))


# mmseg's generic dataset (the AlignSeg document-page configs use it)
register_tiny_writer('BaseSegDataset')(write_tiny_base_seg)
