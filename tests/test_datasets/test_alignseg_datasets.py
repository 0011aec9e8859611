# Copyright (c) docseg_mm contributors. All rights reserved.
"""PVOC (Leopart layout) and COCO-Stuff-27 datasets on tiny data."""
import json
import os

import cv2
import numpy as np
import pytest

from docseg_mm.datasets import (COCO_STUFF27_CLASSES, CocoStuff27Dataset,
                                PVOCDataset, coco_stuff27_label_map)
from docseg_mm.testing import make_tiny_dataset
from docseg_mm.testing.tiny_alignseg import tiny_stuffthing_categories
from docseg_mm.utils import register_all_modules

LOAD = [dict(type='LoadImageFromFile'), dict(type='mmseg.LoadAnnotations')]


@pytest.fixture(autouse=True, scope='module')
def scope():
    register_all_modules()


def test_pvoc_leopart_layout(tmp_path):
    cfg = make_tiny_dataset(dict(type='PVOCDataset', pipeline=LOAD),
                            str(tmp_path))
    cfg.pop('type')
    ds = PVOCDataset(**cfg)
    assert len(ds) == 3 and len(ds.metainfo['classes']) == 21
    info = ds[0]
    assert info['img_path'].endswith(os.path.join('images', 'tiny_000.jpg'))
    assert info['seg_map_path'].endswith(
        os.path.join('SegmentationClass', 'tiny_000.png'))
    raw = cv2.imread(info['seg_map_path'], cv2.IMREAD_UNCHANGED)
    assert np.array_equal(info['gt_seg_map'], raw)  # VOC labels unchanged


def test_coco_stuff27_label_map_by_hand():
    cats = [
        dict(id=1, supercategory='person'),  # PNG 0 -> person = 15
        dict(id=92, supercategory='wall'),  # PNG 91 -> wall = 24
        dict(id=183, supercategory='other'),  # PNG 182 -> ignored
    ] + [dict(id=200 + i, supercategory=s)
         for i, s in enumerate(COCO_STUFF27_CLASSES)]
    m = coco_stuff27_label_map(cats)
    assert m[0] == 15 and m[91] == 24 and m[182] == 255 and m[255] == 255
    assert COCO_STUFF27_CLASSES.index('accessory') == 0
    with pytest.raises(ValueError, match='27 COCO-Stuff'):
        coco_stuff27_label_map([dict(id=1, supercategory='person')])


def test_coco_stuff27_relabels_masks(tmp_path):
    cfg = make_tiny_dataset(dict(type='CocoStuff27Dataset', pipeline=LOAD),
                            str(tmp_path))
    cfg.pop('type')
    ds = CocoStuff27Dataset(**cfg)
    assert ds.metainfo['classes'] == COCO_STUFF27_CLASSES
    # the tiny writer: supercategory i has category id 2 i + 1 (PNG 2 i),
    # "other" is 183 (PNG 182)
    lut = {2 * i: i for i in range(27)}
    lut.update({182: 255, 255: 255})
    for idx in range(len(ds)):
        info = ds[idx]
        raw = cv2.imread(info['seg_map_path'], cv2.IMREAD_UNCHANGED)
        expected = np.vectorize(lut.get)(raw)
        assert np.array_equal(info['gt_seg_map'], expected)
        assert (raw == 182).any() or (raw == 255).any()


def test_coco_stuff27_names_the_bad_category_file(tmp_path):
    path = tmp_path / 'annotations/stuffthingmaps_trainval2017'
    path.mkdir(parents=True)
    (path / 'stuffthing_2017.json').write_text('{"images": []}')
    with pytest.raises(ValueError, match='stuffthing_2017.json'):
        CocoStuff27Dataset(data_root=str(tmp_path))
    json.dumps(tiny_stuffthing_categories())
