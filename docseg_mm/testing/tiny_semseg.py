# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tiny-dataset writers for semantic segmentation datasets
(:class:`~docseg_mm.datasets.DocSemSegDataset`)."""
import json
import os
import os.path as osp
from typing import List, Sequence, Tuple

import cv2
import numpy as np

from .tiny_datasets import register_tiny_writer

#: (height, width) of the tiny pages.
TINY_PAGE_SIZE: Tuple[int, int] = (96, 80)
#: Number of samples each writer produces.
TINY_NUM_SAMPLES = 3


def tiny_semantic_sample(index: int,
                         num_classes: int,
                         size: Tuple[int, int] = TINY_PAGE_SIZE
                         ) -> Tuple[np.ndarray, np.ndarray, List[int]]:
    """A page with two filled rectangles of different classes.

    Args:
        index (int): Sample index (seeds the colours and classes).
        num_classes (int): Number of classes including background (0).
        size (tuple[int, int]): ``(height, width)``.
            Defaults to :data:`TINY_PAGE_SIZE`.

    Returns:
        tuple: BGR image, ``uint8`` mask (255 on a 1-pixel outline band) and
        the foreground class values present.
    """
    rng = np.random.default_rng(index)
    h, w = size
    img = np.full((h, w, 3), 250, np.uint8)
    mask = np.zeros((h, w), np.uint8)
    classes = sorted(rng.choice(np.arange(1, num_classes), 2, replace=False)
                     if num_classes > 2 else [1])
    boxes = [(h // 8, w // 8, h // 2, w - w // 8),
             (h // 2 + 4, w // 4, h - h // 8, w - w // 4)]
    for c, (y0, x0, y1, x1) in zip(classes, boxes):
        img[y0:y1, x0:x1] = rng.integers(0, 200, 3)
        mask[y0:y1, x0:x1] = c
        mask[y0, x0:x1] = mask[y1 - 1, x0:x1] = 255
    return img, mask, [int(c) for c in classes]


def write_semantic_split(root: str, img_dir: str, ann_dir: str,
                         ann_file: str, stems: Sequence[str],
                         num_classes: int, img_suffix: str = '.png',
                         seg_map_suffix: str = '.png') -> List[List[int]]:
    """Write images, masks and the split list; return the classes per
    sample."""
    os.makedirs(osp.join(root, img_dir), exist_ok=True)
    os.makedirs(osp.join(root, ann_dir), exist_ok=True)
    present = []
    for i, stem in enumerate(stems):
        img, mask, classes = tiny_semantic_sample(i, num_classes)
        cv2.imwrite(osp.join(root, img_dir, stem + img_suffix), img)
        cv2.imwrite(osp.join(root, ann_dir, stem + seg_map_suffix), mask)
        present.append(classes)
    if ann_file:
        path = osp.join(root, ann_file)
        os.makedirs(osp.dirname(path) or '.', exist_ok=True)
        with open(path, 'w') as f:
            f.write('\n'.join(stems) + '\n')
    return present


def _dataset_classes(dataset_cfg: dict) -> List[str]:
    from mmengine.registry import DATASETS as ROOT
    from mmseg.registry import DATASETS as MMSEG

    from docseg_mm.registry import DATASETS
    name = str(dataset_cfg['type'])
    registry = MMSEG if name.startswith('mmseg.') else DATASETS
    cls = registry.get(name.split('.')[-1]) or ROOT.get(name)
    return list((dataset_cfg.get('metainfo') or {}).get(
        'classes', cls.METAINFO['classes']))


@register_tiny_writer('DocSemSegDataset', 'COCOWSSSDataset')
def write_tiny_doc_semseg(dataset_cfg: dict, root: str) -> dict:
    """Pages, masks, split list (and tags when the config has a
    ``tags_file``) where a ``DocSemSegDataset`` (or subclass) config reads
    them."""
    classes = _dataset_classes(dataset_cfg)
    prefix = dataset_cfg.get('data_prefix', {})
    default_suffix = '.jpg' if 'COCOWSSS' in str(dataset_cfg['type']) \
        else '.png'
    img_suffix = dataset_cfg.get('img_suffix', default_suffix)
    stems = [f'tiny_{i:02d}' for i in range(TINY_NUM_SAMPLES)]
    present = write_semantic_split(
        root, prefix.get('img_path', ''), prefix.get('seg_map_path', ''),
        dataset_cfg.get('ann_file', ''), stems, len(classes), img_suffix,
        dataset_cfg.get('seg_map_suffix', '.png'))
    if dataset_cfg.get('tags_file'):
        tags = {
            stem + img_suffix: [classes[c] for c in cls]
            for stem, cls in zip(stems, present)
        }
        path = osp.join(root, dataset_cfg['tags_file'])
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            json.dump(dict(classes=classes[1:], tags=tags), f)
    dataset_cfg['data_root'] = root
    return dataset_cfg


@register_tiny_writer('PascalVOCDataset')
def write_tiny_voc(dataset_cfg: dict, root: str) -> dict:
    """JPEG images, label PNGs and the split list of an mmseg
    ``PascalVOCDataset`` config (``SegmentationClass`` or ``...Aug``)."""
    prefix = dataset_cfg.get('data_prefix', {})
    stems = [f'2007_{i:06d}' for i in range(TINY_NUM_SAMPLES)]
    write_semantic_split(root, prefix.get('img_path', ''),
                         prefix.get('seg_map_path', ''),
                         dataset_cfg.get('ann_file', ''), stems, 21,
                         dataset_cfg.get('img_suffix', '.jpg'),
                         dataset_cfg.get('seg_map_suffix', '.png'))
    dataset_cfg['data_root'] = root
    return dataset_cfg
