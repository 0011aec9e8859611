# Copyright (c) docseg_mm contributors. All rights reserved.
import json
import os.path as osp

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from docseg_mm.datasets.converters import (IGNORE_INDEX, coco_to_semantic,
                                           rasterize_semantic)


def _box(x, y, w, h):
    return [[x, y, x + w, y, x + w, y + h, x, y + h]]


def test_small_element_on_top_and_borders_ignored():
    # A 20x16 "table" containing a 4x4 "caption"; labels table=2, caption=1.
    anns = [
        dict(category_id=7, bbox=[10, 20, 4, 4], segmentation=_box(10, 20, 4,
                                                                   4),
             area=16),
        dict(category_id=9, bbox=[4, 14, 20, 16], segmentation=_box(
            4, 14, 20, 16), area=320),
    ]
    sem = rasterize_semantic(anns, 40, 30, {7: 1, 9: 2}, border=0)
    expected = np.zeros((40, 30), np.uint8)
    expected[14:30, 4:24] = 2
    expected[20:24, 10:14] = 1
    np.testing.assert_array_equal(sem, expected)

    with_band = rasterize_semantic(anns, 40, 30, {7: 1, 9: 2}, border=1)
    # Interior pixels keep their class, outline pixels become ignore.
    assert with_band[22, 12] == 1 and with_band[17, 7] == 2
    assert with_band[14, 10] == IGNORE_INDEX  # top edge of the table
    assert with_band[20, 11] == IGNORE_INDEX  # top edge of the caption
    assert with_band[13, 10] == IGNORE_INDEX  # one pixel outside the table
    assert with_band[11, 10] == 0
    # Categories not in the mapping are not painted.
    assert rasterize_semantic(anns, 40, 30, {9: 2}, border=0)[22, 12] == 2


def test_rle_box_only_and_crowd():
    m = np.zeros((12, 10), np.uint8, order='F')
    m[2:5, 3:7] = 1
    rle = mask_utils.encode(m)
    rle['counts'] = rle['counts'].decode()
    anns = [
        dict(category_id=1, bbox=[3, 2, 4, 3], segmentation=rle, area=12),
        dict(category_id=2, bbox=[0, 8, 5, 2], area=10),  # box only
        dict(category_id=1, bbox=[6, 8, 4, 4], segmentation=_box(6, 8, 4, 4),
             area=16, iscrowd=1),
    ]
    sem = rasterize_semantic(anns, 12, 10, {1: 1, 2: 2}, border=0)
    assert (sem[2:5, 3:7] == 1).all()
    assert (sem[8:10, 0:5] == 2).all()
    assert (sem[8:12, 6:10] == IGNORE_INDEX).all()
    assert (sem == 0).sum() == 120 - 12 - 10 - 16


def test_coco_file_to_masks_and_tags(tmp_path):
    coco = dict(
        images=[
            dict(id=1, file_name='a.png', height=20, width=20),
            dict(id=2, file_name='sub/b.png', height=10, width=10)
        ],
        categories=[dict(id=3, name='Text'), dict(id=1, name='Table')],
        annotations=[
            dict(id=1, image_id=1, category_id=3, bbox=[0, 0, 5, 5],
                 segmentation=_box(0, 0, 5, 5), area=25),
            dict(id=2, image_id=1, category_id=3, bbox=[10, 10, 5, 5],
                 segmentation=_box(10, 10, 5, 5), area=25, precedence=1),
        ])
    ann_file = osp.join(tmp_path, 'ann.json')
    with open(ann_file, 'w') as f:
        json.dump(coco, f)
    stats = coco_to_semantic(
        ann_file, osp.join(tmp_path, 'sem'), osp.join(tmp_path, 'tags.json'),
        border=0, keep_annotation=lambda a: a.get('precedence', 0) == 0)
    assert stats == {'images': 2, 'annotations': 1}
    a = cv2.imread(osp.join(tmp_path, 'sem', 'a.png'), cv2.IMREAD_UNCHANGED)
    b = cv2.imread(osp.join(tmp_path, 'sem', 'sub', 'b.png'),
                   cv2.IMREAD_UNCHANGED)
    # Default classes: categories in id order -> Table=1, Text=2.
    assert a.dtype == np.uint8 and (a[:5, :5] == 2).all()
    assert (a[10:15, 10:15] == 0).all()  # the precedence-1 duplicate
    assert b.shape == (10, 10) and not b.any()
    with open(osp.join(tmp_path, 'tags.json')) as f:
        tags = json.load(f)
    assert tags == {
        'classes': ['Table', 'Text'],
        'tags': {'a.png': ['Text'], 'sub/b.png': []}
    }
