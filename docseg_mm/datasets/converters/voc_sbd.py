# Copyright (c) docseg_mm contributors. All rights reserved.
"""PASCAL VOC 2012 + SBD ("train_aug") for weakly / semi-supervised
segmentation: label PNGs from SBD's ``.mat`` files and explicit split
lists."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
from PIL import Image


def read_sbd_mat(path: str) -> np.ndarray:
    """The class mask of an SBD ``cls/<stem>.mat`` (``GTcls.Segmentation``).

    Raises:
        ValueError: If the file has no ``GTcls`` segmentation, naming it.
    """
    from scipy.io import loadmat
    try:
        seg = loadmat(path)['GTcls']['Segmentation'][0][0]
    except (KeyError, IndexError, ValueError) as e:
        raise ValueError(f'{path}: not an SBD class file '
                         f'(GTcls.Segmentation missing: {e})') from e
    seg = np.asarray(seg)
    valid = seg[seg != 255]
    if seg.ndim != 2 or (valid.size and valid.max() > 20):
        raise ValueError(f'{path}: unexpected mask (shape {seg.shape}, '
                         f'values up to {seg.max()})')
    return seg.astype(np.uint8)


def _read_list(path: str) -> List[str]:
    if not osp.isfile(path):
        raise FileNotFoundError(f'split list {path} not found')
    with open(path) as f:
        return [line.split()[0] for line in f if line.strip()]


def _write_list(path: str, stems: Sequence[str]) -> None:
    with open(path, 'w') as f:
        f.write(''.join(s + '\n' for s in stems))


def build_voc_aug(voc_root: str,
                  sbd_root: str,
                  out_dir: str = 'SegmentationClassAug',
                  original_list: Optional[str] = None,
                  num_labeled_tail: int = 1464) -> Dict[str, int]:
    """Write ``SegmentationClassAug`` and the split lists under ``voc_root``.

    ``train_aug`` = (SBD train + SBD val + VOC train) - VOC val (10,582
    images). Masks of images with a VOC annotation come from VOC's
    ``SegmentationClass`` (its 255 borders kept), the others from SBD. Lists
    written to ``ImageSets/Segmentation/``: ``train_aug.txt`` and
    ``train_aug_weak.txt`` (= train_aug - VOC train, the image-label part of
    the semi-supervised setting, whose pixel-labelled part is VOC's own
    ``train.txt``, 1,464 images).

    With ``original_list`` (SLRNet's ``data/train_augvoc.txt``) the
    original's labelled subset is also written: its *last*
    ``num_labeled_tail`` lines (``train_labeled_faithful.txt``, only 463 of
    them are VOC train images in the shipped list) and the rest
    (``train_aug_weak_faithful.txt``).

    Args:
        voc_root (str): ``VOCdevkit/VOC2012``.
        sbd_root (str): SBD's ``benchmark_RELEASE/dataset`` (``cls/``,
            ``train.txt``, ``val.txt``).
        out_dir (str): Mask folder under ``voc_root``.
            Defaults to ``'SegmentationClassAug'``.
        original_list (str, optional): SLRNet's list. Defaults to None.
        num_labeled_tail (int): Lines taken as labelled from its end.
            Defaults to 1464.

    Returns:
        dict: Counts (``train_aug``, ``from_voc``, ``from_sbd``, ...).
    """
    sets = osp.join(voc_root, 'ImageSets', 'Segmentation')
    voc_train = _read_list(osp.join(sets, 'train.txt'))
    voc_val = set(_read_list(osp.join(sets, 'val.txt')))
    sbd = _read_list(osp.join(sbd_root, 'train.txt')) + _read_list(
        osp.join(sbd_root, 'val.txt'))
    train_aug = sorted((set(sbd) | set(voc_train)) - voc_val)
    os.makedirs(osp.join(voc_root, out_dir), exist_ok=True)
    stats = dict(train_aug=len(train_aug), from_voc=0, from_sbd=0)
    for stem in sorted(set(train_aug) | voc_val):
        voc_png = osp.join(voc_root, 'SegmentationClass', stem + '.png')
        if osp.isfile(voc_png):
            mask = np.asarray(Image.open(voc_png))  # palette indices
            stats['from_voc'] += 1
        else:
            mat = osp.join(sbd_root, 'cls', stem + '.mat')
            if not osp.isfile(mat):
                raise FileNotFoundError(
                    f'no mask for {stem}: neither {voc_png} nor {mat}')
            mask = read_sbd_mat(mat)
            stats['from_sbd'] += 1
        dst = osp.join(voc_root, out_dir, stem + '.png')
        if not cv2.imwrite(dst, mask):
            raise OSError(f'cannot write {dst}')
    train = set(voc_train)
    _write_list(osp.join(sets, 'train_aug.txt'), train_aug)
    weak = [s for s in train_aug if s not in train]
    _write_list(osp.join(sets, 'train_aug_weak.txt'), weak)
    stats['train_aug_weak'] = len(weak)
    if original_list:
        lines = _read_list(original_list)
        stems = [osp.splitext(osp.basename(p))[0] for p in lines]
        tail = stems[-num_labeled_tail:]
        _write_list(osp.join(sets, 'train_labeled_faithful.txt'), tail)
        _write_list(osp.join(sets, 'train_aug_weak_faithful.txt'),
                    stems[:-num_labeled_tail])
        stats['faithful_labeled_in_voc_train'] = sum(s in train for s in tail)
    return stats
