# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tiny page images, and writers for label-free page folders
(:class:`~docseg_mm.datasets.PageImageFolder`) and RVL-CDIP
(:class:`~docseg_mm.datasets.RVLCDIPDataset`, both layouts)."""
import os
import os.path as osp
from typing import List, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

from .tiny_datasets import register_tiny_writer

#: (height, width) of the tiny pages.
TINY_PAGE_HW: Tuple[int, int] = (128, 96)
#: How many pages a writer produces at least.
TINY_NUM_PAGES = 3


def tiny_page(index: int, hw: Tuple[int, int] = TINY_PAGE_HW
              ) -> Tuple[np.ndarray, List[Tuple[float, float, float, float]]]:
    """A white page with three dark blocks (title, text, figure).

    Args:
        index (int): Sample index (seeds the block positions and colours).
        hw (tuple[int, int]): Page ``(height, width)``. Defaults to
            :data:`TINY_PAGE_HW`.

    Returns:
        tuple: BGR uint8 page and the blocks as ``(x, y, w, h)``.
    """
    rng = np.random.default_rng(index)
    h, w = hw
    img = np.full((h, w, 3), 250, np.uint8)
    shift = int(rng.integers(0, max(h // 16, 1)))
    blocks = [(w * 0.15, h * 0.08 + shift, w * 0.7, h * 0.1),
              (w * 0.1, h * 0.25 + shift, w * 0.8, h * 0.3),
              (w * 0.2, h * 0.62, w * 0.6, h * 0.28)]
    for x, y, bw, bh in blocks:
        colour = [int(c) for c in rng.integers(20, 120, 3)]
        cv2.rectangle(img, (int(x), int(y)), (int(x + bw) - 1,
                                              int(y + bh) - 1), colour, -1)
    return img, blocks


def write_image(path: str, img: np.ndarray) -> str:
    """Write a BGR image in the format its suffix names (TIFF with Pillow).
    """
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    if path.lower().endswith(('.tif', '.tiff')):
        Image.fromarray(img[..., ::-1]).convert('L').save(path)
    elif not cv2.imwrite(path, img):
        raise OSError(f'could not write {path!r}')
    return path


def _num_needed(dataset_cfg: dict) -> int:
    """Enough samples for the config's ``indices``."""
    indices = dataset_cfg.get('indices')
    if isinstance(indices, int):
        return max(indices, TINY_NUM_PAGES)
    if indices:
        return max(max(indices) + 1, TINY_NUM_PAGES)
    return TINY_NUM_PAGES


def _prefix(dataset_cfg: dict, default: str = '') -> str:
    prefix = dataset_cfg.get('data_prefix', default)
    if isinstance(prefix, dict):
        prefix = prefix.get('img_path', prefix.get('img', default))
    return prefix or ''


@register_tiny_writer('PageImageFolder')
def write_tiny_page_folder(dataset_cfg: dict, root: str) -> dict:
    """Pages under the image folder (and the ``ann_file`` list if any)."""
    folder = osp.join(root, _prefix(dataset_cfg))
    ext = tuple(dataset_cfg.get('extensions', ('.png', )))[0]
    rels = [f'sub/page_{i:02d}{ext}' if i % 2 else f'page_{i:02d}{ext}'
            for i in range(_num_needed(dataset_cfg))]
    for i, rel in enumerate(rels):
        write_image(osp.join(folder, rel), tiny_page(i)[0])
    if dataset_cfg.get('ann_file'):
        with open(osp.join(root, dataset_cfg['ann_file']), 'w') as f:
            f.write('\n'.join(rels) + '\n')
    dataset_cfg['data_root'] = root
    return dataset_cfg


def _class_names(dataset_cfg: dict) -> Sequence[str]:
    from docseg_mm.datasets import RVL_CDIP_CLASSES
    classes = dataset_cfg.get('classes') or \
        (dataset_cfg.get('metainfo') or {}).get('classes')
    if isinstance(classes, str):  # a class-name file: not written here
        raise ValueError('tiny RVL-CDIP writer: give classes as a sequence')
    if classes:
        return list(classes)
    if dataset_cfg.get('classes_from_folders'):
        return ['letter_like', 'table_like']
    return list(RVL_CDIP_CLASSES)


@register_tiny_writer('RVLCDIPDataset')
def write_tiny_rvl_cdip(dataset_cfg: dict, root: str) -> dict:
    """Label files (``split`` / ``ann_file``) or class folders, as the
    config reads them; one page per needed index, classes in turn."""
    classes = _class_names(dataset_cfg)
    ext = tuple(dataset_cfg.get('extensions', ('.tif', )))[0]
    split, ann_file = dataset_cfg.get('split'), dataset_cfg.get('ann_file')
    num = _num_needed(dataset_cfg)
    if split is not None or ann_file:
        files = ([f'labels/{s}.txt' for s in
                  ([split] if isinstance(split, str) else split)]
                 if split is not None else
                 ([ann_file] if isinstance(ann_file, str) else ann_file))
        folder = _prefix(dataset_cfg) if \
            dataset_cfg.get('data_prefix') is not None else 'images'
        for f in files:
            lines = []
            for i in range(num):
                rel = f'imagesa/{osp.splitext(osp.basename(f))[0]}_{i}{ext}'
                write_image(osp.join(root, folder, rel), tiny_page(i)[0])
                lines.append(f'{rel} {i % len(classes)}')
            path = osp.join(root, f)
            os.makedirs(osp.dirname(path), exist_ok=True)
            with open(path, 'w') as fh:
                fh.write('\n'.join(lines) + '\n')
    else:
        folder = osp.join(root, _prefix(dataset_cfg))
        for i in range(num):
            name = classes[i % len(classes)]
            write_image(osp.join(folder, name, f'{i:03d}{ext}'),
                        tiny_page(i)[0])
    dataset_cfg['data_root'] = root
    return dataset_cfg
