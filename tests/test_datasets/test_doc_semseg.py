# Copyright (c) docseg_mm contributors. All rights reserved.
import json
import logging
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from docseg_mm.datasets import DocSemSegDataset, TagsFormatError
from docseg_mm.datasets.transforms import (ImageLabelsFromSegMap,
                                           LoadSemSegAnnotations,
                                           SegMapValueError)
from docseg_mm.demo_data.classes import DOCLAYNET_CLASSES


def _write_set(root, masks, tags=None, listed=None):
    """Write pages ``p<i>.png``, masks, ``SEM/train.txt`` and tags."""
    os.makedirs(osp.join(root, 'PNG'), exist_ok=True)
    os.makedirs(osp.join(root, 'SEM'), exist_ok=True)
    stems = [f'p{i}' for i in range(len(masks))]
    for stem, mask in zip(stems, masks):
        img = np.full(mask.shape + (3, ), 255, np.uint8)
        cv2.imwrite(osp.join(root, 'PNG', stem + '.png'), img)
        cv2.imwrite(osp.join(root, 'SEM', stem + '.png'), mask)
    with open(osp.join(root, 'SEM', 'train.txt'), 'w') as f:
        f.write('\n'.join(listed or stems) + '\n')
    if tags is not None:
        with open(osp.join(root, 'SEM', 'train_tags.json'), 'w') as f:
            json.dump(dict(classes=list(DOCLAYNET_CLASSES), tags=tags), f)


def _dataset(root, tags=True, pipeline=()):
    return DocSemSegDataset(
        data_root=root,
        data_prefix=dict(img_path='PNG', seg_map_path='SEM'),
        ann_file='SEM/train.txt',
        tags_file='SEM/train_tags.json' if tags else None,
        pipeline=list(pipeline))


def test_tags_become_multi_hot_labels(tmp_path):
    masks = [np.zeros((8, 6), np.uint8)] * 2
    _write_set(str(tmp_path), masks,
               tags={'p0.png': ['Table', 'Caption'], 'p1.png': []})
    ds = _dataset(str(tmp_path))
    assert len(ds) == 2
    assert ds.metainfo['classes'][0] == 'background'
    lab0 = ds.get_data_info(0)['img_labels']
    expected = np.zeros(11, np.float32)
    expected[DOCLAYNET_CLASSES.index('Table')] = 1
    expected[DOCLAYNET_CLASSES.index('Caption')] = 1
    np.testing.assert_array_equal(lab0, expected)
    assert ds.get_data_info(1)['img_labels'].sum() == 0
    assert ds.get_data_info(0)['num_classes'] == 12


def test_without_tags_no_labels(tmp_path):
    _write_set(str(tmp_path), [np.zeros((4, 4), np.uint8)])
    ds = _dataset(str(tmp_path), tags=False)
    assert 'img_labels' not in ds.get_data_info(0)


def test_page_missing_from_tags_names_both_files(tmp_path):
    masks = [np.zeros((4, 4), np.uint8)] * 2
    _write_set(str(tmp_path), masks, tags={'p0.png': ['Text']})
    with pytest.raises(TagsFormatError) as e:
        _dataset(str(tmp_path))
    assert 'train_tags.json' in str(e.value) and "'p1.png'" in str(e.value)
    assert 'train.txt' in str(e.value)


def test_unknown_tag_names_the_page(tmp_path):
    _write_set(str(tmp_path), [np.zeros((4, 4), np.uint8)],
               tags={'p0.png': ['Text', 'Banana']})
    with pytest.raises(TagsFormatError, match=r"'p0.png'.*'Banana'"):
        _dataset(str(tmp_path))


def test_malformed_tags_file(tmp_path):
    _write_set(str(tmp_path), [np.zeros((4, 4), np.uint8)])
    with open(osp.join(str(tmp_path), 'SEM', 'train_tags.json'), 'w') as f:
        f.write('{"tags": [1, 2]}')
    with pytest.raises(TagsFormatError, match='train_tags.json'):
        _dataset(str(tmp_path))


def test_missing_split_list(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        DocSemSegDataset(data_root=str(tmp_path), ann_file='nope.txt')


def test_mask_out_of_range_names_file(tmp_path):
    good = np.zeros((6, 6), np.uint8)
    good[1:3, 1:3] = 11
    good[0, :] = 255
    bad = np.zeros((6, 6), np.uint8)
    bad[2, 2] = 12  # 12 classes: valid labels are 0..11 and 255
    _write_set(str(tmp_path), [good, bad],
               tags={'p0.png': ['Title'], 'p1.png': []})
    ds = _dataset(str(tmp_path), pipeline=[dict(type='LoadSemSegAnnotations')])
    out = ds[0]
    np.testing.assert_array_equal(out['gt_seg_map'], good)
    with pytest.raises(SegMapValueError, match=r'p1\.png.*\[12\]'):
        ds[1]


def test_missing_mask_names_file(tmp_path):
    _write_set(str(tmp_path), [np.zeros((4, 4), np.uint8)])
    os.remove(osp.join(str(tmp_path), 'SEM', 'p0.png'))
    ds = _dataset(str(tmp_path), tags=False,
                  pipeline=[LoadSemSegAnnotations()])
    with pytest.raises(FileNotFoundError, match=r'SEM/p0\.png'):
        ds[0]


def test_image_labels_from_seg_map():
    mask = np.array([[0, 3, 255], [20, 3, 0]], np.uint8)
    out = ImageLabelsFromSegMap(num_classes=21)(
        dict(gt_seg_map=mask, seg_map_path='m.png'))
    expected = np.zeros(20, np.float32)
    expected[[2, 19]] = 1  # classes 3 and 20 -> fg indices 2 and 19
    np.testing.assert_array_equal(out['img_labels'], expected)
    with pytest.raises(SegMapValueError, match=r'm\.png'):
        ImageLabelsFromSegMap(num_classes=3)(
            dict(gt_seg_map=mask, seg_map_path='m.png'))
    kept = ImageLabelsFromSegMap(num_classes=21)(
        dict(gt_seg_map=mask, img_labels=np.ones(20, np.float32)))
    assert kept['img_labels'].sum() == 20


def test_tiny_writer_round_trip(tmp_path):
    from docseg_mm.testing import make_tiny_dataset
    cfg = dict(type='DocSemSegDataset', data_root='data/demo',
               data_prefix=dict(img_path='PNG', seg_map_path='SEM'),
               ann_file='SEM/train.txt', tags_file='SEM/train_tags.json',
               pipeline=[dict(type='LoadSemSegAnnotations')])
    cfg = make_tiny_dataset(cfg, str(tmp_path))
    cfg.pop('type')
    ds = DocSemSegDataset(**cfg)
    for i in range(len(ds)):
        out = ds[i]
        present = set(np.unique(out['gt_seg_map'])) - {0, 255}
        # the page tags are exactly the classes painted in the mask
        assert set(np.flatnonzero(out['img_labels']) + 1) == present


def test_missing_image_names_list_and_line(tmp_path):
    masks = [np.zeros((4, 4), np.uint8)] * 3
    _write_set(str(tmp_path), masks)
    os.remove(osp.join(str(tmp_path), 'PNG', 'p1.png'))
    with pytest.raises(FileNotFoundError, match=r'p1\.png.*train\.txt:2'):
        _dataset(str(tmp_path), tags=False)


def test_missing_image_skip_is_counted_and_logged(tmp_path, monkeypatch):
    masks = [np.zeros((4, 4), np.uint8)] * 3
    _write_set(str(tmp_path), masks,
               tags={'p0.png': ['Text'], 'p1.png': [], 'p2.png': ['Table'],
                     'extra.png': ['Title']})
    os.remove(osp.join(str(tmp_path), 'PNG', 'p1.png'))
    logged = []
    monkeypatch.setattr(
        'docseg_mm.datasets.skip_report.print_log',
        lambda msg, logger=None, level=None: logged.append((msg, level)))
    ds = DocSemSegDataset(
        data_root=str(tmp_path),
        data_prefix=dict(img_path='PNG', seg_map_path='SEM'),
        ann_file='SEM/train.txt', tags_file='SEM/train_tags.json',
        missing_images='skip', pipeline=[])
    assert [osp.basename(ds.get_data_info(i)['img_path'])
            for i in range(len(ds))] == ['p0.png', 'p2.png']
    # the skipped page's tags and the unlisted tagged page are not errors
    assert ds.skipped == {'missing_image': 1, 'tagged_not_listed': 2}
    assert ds.get_data_info(1)['img_labels'][
        DOCLAYNET_CLASSES.index('Table')] == 1
    (msg, level), = logged  # one line per load
    assert 'DocSemSegDataset: 2 pages of' in msg and 'train.txt:2' in msg
    assert 'missing_image=1' in msg and 'extra.png' in msg
    assert level == logging.WARNING


def test_clean_load_logs_one_info_line(tmp_path, monkeypatch):
    _write_set(str(tmp_path), [np.zeros((4, 4), np.uint8)],
               tags={'p0.png': ['Text']})
    logged = []
    monkeypatch.setattr(
        'docseg_mm.datasets.skip_report.print_log',
        lambda msg, logger=None, level=None: logged.append((msg, level)))
    ds = _dataset(str(tmp_path))
    assert ds.skipped == {}
    assert logged == [(f'DocSemSegDataset: 1 pages of {ds.ann_file} with '
                       f'tags of {ds.tags_file}', logging.INFO)]
    with pytest.raises(ValueError, match='missing_images'):
        DocSemSegDataset(data_root=str(tmp_path), ann_file='SEM/train.txt',
                         missing_images='ignore')


def test_tags_errors_are_annotation_format_errors():
    from docseg_mm.datasets import AnnotationFormatError
    assert issubclass(TagsFormatError, AnnotationFormatError)
