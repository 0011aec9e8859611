# Copyright (c) docseg_mm contributors. All rights reserved.
"""RVLCDIPDataset on tiny TIFF trees in both layouts."""
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from docseg_mm.datasets import (RVL_CDIP_CLASSES, AnnotationFormatError,
                                RVLCDIPDataset)
from docseg_mm.registry import DATASETS

PIPELINE = [dict(type='LoadTiffPage'), dict(type='mmpretrain.PackInputs')]


def _bits() -> np.ndarray:
    bits = np.zeros((6, 8), bool)
    bits[:3] = True  # top half white
    return bits


def _write_tiff(path: str, kind: str) -> str:
    """Write a tiny TIFF page of ``kind`` ('1', 'L', 'multi' or 'RGB')."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    if kind == '1':
        Image.fromarray(_bits()).convert('1').save(path, compression='group4')
    elif kind == 'L':
        Image.fromarray(np.full((6, 8), 77, np.uint8)).save(path)
    elif kind == 'multi':
        Image.fromarray(np.full((6, 8), 30, np.uint8)).save(
            path,
            save_all=True,
            append_images=[Image.fromarray(np.full((2, 2), 99, np.uint8))])
    else:
        rgb = np.zeros((6, 8, 3), np.uint8)
        rgb[..., 0] = 250
        Image.fromarray(rgb).save(path)
    return path


# (path under images/, label, kind) as in the official label files
OFFICIAL = [('imagesa/a/a/a/aaa01/1.tif', 0, '1'),
            ('imagesb/b/x/bx02/2.tif', 15, 'L'),
            ('imagesc/c/c/cc03/3.tif', 9, 'multi'),
            ('imagesd/d/dd04/4.tif', 11, 'RGB')]


def _official(root, lines=None, split='test') -> str:
    for rel, _, kind in OFFICIAL:
        _write_tiff(osp.join(root, 'images', rel), kind)
    os.makedirs(osp.join(root, 'labels'), exist_ok=True)
    if lines is None:
        lines = [f'{rel} {label}' for rel, label, _ in OFFICIAL]
    with open(osp.join(root, 'labels', f'{split}.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return root


def _check_pixels(ds, kinds):
    for i, kind in enumerate(kinds):
        img = ds[i]['inputs'].permute(1, 2, 0).numpy()  # BGR HWC
        assert img.shape == (6, 8, 3)
        if kind == '1':
            assert (img[:3] == 255).all() and (img[3:] == 0).all()
        elif kind == 'L':
            assert (img == 77).all()
        elif kind == 'multi':
            assert (img == 30).all()  # first page by default
        else:
            assert img[0, 0].tolist() == [0, 0, 250]


def test_official_layout_labels_and_pixels(tmp_path):
    root = _official(str(tmp_path / 'rvl'))
    ds = DATASETS.build(
        dict(
            type='RVLCDIPDataset',
            data_root=root,
            split='test',
            pipeline=PIPELINE))
    assert len(ds) == 4 and ds.CLASSES == RVL_CDIP_CLASSES
    assert ds.get_gt_labels().tolist() == [0, 15, 9, 11]
    assert ds.get_data_info(1)['img_path'] == osp.join(root, 'images',
                                                       OFFICIAL[1][0])
    _check_pixels(ds, [k for _, _, k in OFFICIAL])
    assert int(ds[3]['data_samples'].gt_label) == 11


def test_official_layout_several_splits_and_ann_file(tmp_path):
    root = _official(str(tmp_path / 'rvl'))
    with open(osp.join(root, 'labels', 'val.txt'), 'w') as f:
        f.write(f'{OFFICIAL[0][0]} 4\n')
    ds = RVLCDIPDataset(data_root=root, split=('test', 'val'))
    assert ds.get_gt_labels().tolist() == [0, 15, 9, 11, 4]
    ds = RVLCDIPDataset(data_root=root, ann_file='labels/val.txt')
    assert len(ds) == 1
    with pytest.raises(ValueError, match='split'):
        RVLCDIPDataset(data_root=root, split='dev')


@pytest.mark.parametrize('line, match', [
    ('imagesa/a/a/a/aaa01/1.tif', r'test\.txt:2: malformed'),
    ('imagesa/a/a/a/aaa01/1.tif letter', r'test\.txt:2: label .letter.'),
    ('imagesa/a/a/a/aaa01/1.tif 16', r'test\.txt:2: label 16 is out of range'),
    ('imagesa/a/a/a/aaa01/1.tif -1', r'test\.txt:2: label -1 is out of'),
])
def test_bad_label_lines_name_file_and_line(tmp_path, line, match):
    good = f'{OFFICIAL[1][0]} 15'
    root = _official(str(tmp_path / 'rvl'), lines=[good, line])
    with pytest.raises(AnnotationFormatError, match=match):
        RVLCDIPDataset(data_root=root, split='test')


def test_missing_image_error_or_skip(tmp_path):
    lines = [f'{rel} {label}' for rel, label, _ in OFFICIAL]
    lines.insert(1, 'imagesz/gone.tif 3')
    root = _official(str(tmp_path / 'rvl'), lines=lines)
    with pytest.raises(FileNotFoundError, match=r'gone\.tif.*test\.txt:2'):
        RVLCDIPDataset(data_root=root, split='test')
    ds = RVLCDIPDataset(data_root=root, split='test', missing_images='skip')
    assert ds.get_gt_labels().tolist() == [0, 15, 9, 11]
    ds = RVLCDIPDataset(data_root=root, split='test', missing_images='defer')
    assert len(ds) == 5
    with pytest.raises(FileNotFoundError, match='labels/train.txt'):
        RVLCDIPDataset(data_root=root, split='train')


FOLDERS = [('letter', '1'), ('memo', 'L'), ('news_article', 'multi'),
           ('Scientific-Report', 'RGB')]


def _folders(root) -> str:
    for folder, kind in FOLDERS:
        _write_tiff(osp.join(root, folder, 'sub', f'{kind}.tif'), kind)
    return root


def test_class_folder_layout(tmp_path):
    root = _folders(str(tmp_path / 'rvl_folders'))
    os.makedirs(osp.join(root, 'budget'))  # an empty class is only logged
    ds = RVLCDIPDataset(data_root=root, pipeline=PIPELINE)
    # sorted folder order: Scientific-Report, letter, memo, news_article
    assert ds.get_gt_labels().tolist() == [5, 0, 15, 9]
    assert ds.CLASSES == RVL_CDIP_CLASSES
    _check_pixels(ds, ['RGB', '1', 'L', 'multi'])


def test_class_folders_by_index_and_unknown(tmp_path):
    root = str(tmp_path / 'by_index')
    _write_tiff(osp.join(root, '11', 'x.tif'), 'L')
    assert RVLCDIPDataset(data_root=root).get_gt_labels().tolist() == [11]
    _write_tiff(osp.join(root, 'recipes', 'y.tif'), 'L')
    with pytest.raises(ValueError, match=r"recipes.*'letter', 'form'"):
        RVLCDIPDataset(data_root=root)
    custom = RVLCDIPDataset(data_root=root, classes_from_folders=True)
    assert custom.CLASSES == ('11', 'recipes')
    assert custom.get_gt_labels().tolist() == [0, 1]
    # given classes win over classes_from_folders; '11' is no index < 4
    with pytest.raises(ValueError, match="unknown class folder.*'11'"):
        RVLCDIPDataset(
            data_root=root,
            classes=('recipes', 'x', 'y', 'z'),
            classes_from_folders=True)
    os.rename(osp.join(root, '11'), osp.join(root, '3'))
    given = RVLCDIPDataset(data_root=root, classes=('recipes', 'x', 'y', 'z'))
    assert given.get_gt_labels().tolist() == [3, 0]


def test_class_folders_missing_or_empty(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        RVLCDIPDataset(data_root=str(tmp_path / 'nowhere'))
    os.makedirs(str(tmp_path / 'void' / 'letter'))
    with pytest.raises(FileNotFoundError, match='no image'):
        RVLCDIPDataset(data_root=str(tmp_path / 'void'))
