# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of :class:`docseg_mm.datasets.PubLayNetDataset`."""
import os.path as osp

import pytest

from docseg_mm.datasets import AnnotationFormatError, PubLayNetDataset

NAMES = ('text', 'title', 'list', 'table', 'figure')
CATS = [dict(id=i + 1, name=n, supercategory='') for i, n in enumerate(NAMES)]


def make(i, cat, bbox=(10, 10, 50, 20)):
    return dict(
        id=i,
        image_id=7,
        category_id=cat,
        bbox=list(bbox),
        iscrowd=0,
        area=bbox[2] * bbox[3])


def test_classes_and_labels(write_coco, tmp_path):
    images = [dict(id=7, file_name='PMC1_00001.jpg', width=612, height=792)]
    anns = [make(1, 5), make(2, 1), make(3, 4), make(4, 2), make(5, 3)]
    write_coco(images, anns, CATS, name='val.json')
    ds = PubLayNetDataset(
        data_root=str(tmp_path),
        ann_file='val.json',
        data_prefix=dict(img='val/'))
    assert ds.metainfo['classes'] == NAMES
    assert ds.cat_ids == [1, 2, 3, 4, 5]
    info = ds.get_data_info(0)
    assert [i['bbox_label'] for i in info['instances']] == [4, 0, 3, 1, 2]
    assert info['img_path'] == osp.join(str(tmp_path), 'val', 'PMC1_00001.jpg')


def test_unknown_category_id(write_coco):
    images = [dict(id=7, file_name='a.jpg', width=612, height=792)]
    path = write_coco(images, [make(1, 1), make(31, 6)], CATS)
    with pytest.raises(AnnotationFormatError, match='annotation id 31'):
        PubLayNetDataset(ann_file=path)
    ds = PubLayNetDataset(ann_file=path, unknown_category='skip')
    assert ds.skipped == {'unknown_category': 1}
