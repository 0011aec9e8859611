# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of :class:`docseg_mm.datasets.DocLayNetDataset`."""
import os
import os.path as osp

import pytest

from docseg_mm.datasets import AnnotationFormatError, DocLayNetDataset
from docseg_mm.registry import DATASETS

NAMES = ('Caption', 'Footnote', 'Formula', 'List-item', 'Page-footer',
         'Page-header', 'Picture', 'Section-header', 'Table', 'Text', 'Title')
CATS = [dict(id=i + 1, name=n, supercategory=n) for i, n in enumerate(NAMES)]


def page(i, **extra):
    info = dict(
        id=i,
        file_name=f'{i:04d}abc.png',
        width=1025,
        height=1025,
        doc_category='financial_reports',
        collection='ann_reports_00_04',
        doc_name=f'NYSE_{i}.pdf',
        page_no=i + 10,
        precedence=0)
    info.update(extra)
    return info


def box(i, image_id, cat, bbox, precedence=0):
    x, y, w, h = bbox
    return dict(
        id=i,
        image_id=image_id,
        category_id=cat,
        bbox=list(bbox),
        segmentation=[[x, y, x + w, y, x + w, y + h, x, y + h]],
        area=w * h,
        iscrowd=0,
        precedence=precedence)


@pytest.fixture
def doclaynet_root(write_coco, tmp_path):
    anns = [
        box(1, 1, 10, (100, 100, 300, 50)),
        box(2, 1, 10, (100, 100, 300, 50), precedence=1),
        box(3, 1, 9, (-0.49, 200, 500, 300.2)),  # clipped x1
        box(4, 1, 11, (50, 20, 600, 40), precedence=2),
        box(5, 2, 7, (900, 1000.5, 200, 30)),  # clipped x2, y2
        box(6, 2, 5, (10, 990, 20, 10), precedence=1),
        box(7, 2, 1, (10, 10, 0.3, 10)),  # small_bbox
    ]
    os.makedirs(osp.join(str(tmp_path), 'COCO'), exist_ok=True)
    write_coco([page(1), page(2)], anns, CATS, name='COCO/train.json')
    return str(tmp_path)


def test_classes_precedence_and_clipping(doclaynet_root):
    ds = DocLayNetDataset(data_root=doclaynet_root, ann_file='COCO/train.json')
    assert ds.metainfo['classes'] == NAMES
    assert len(ds.metainfo['palette']) == 11
    assert ds.skipped == dict(precedence=3, small_bbox=1)
    assert ds.skipped_ids['precedence'] == [2, 4, 6]
    first, second = ds.get_data_info(0), ds.get_data_info(1)
    assert [i['bbox_label'] for i in first['instances']] == [9, 8]
    assert [i['bbox_label'] for i in second['instances']] == [6]
    assert first['instances'][1]['bbox'] == [0., 200., 499.51, 500.2]
    assert second['instances'][0]['bbox'] == [900., 1000.5, 1025., 1025.]
    assert ds.load_stats['clipped'] == 2
    # page metadata is kept, image path follows the release layout
    assert first['doc_category'] == 'financial_reports'
    assert first['collection'] == 'ann_reports_00_04'
    assert first['doc_name'] == 'NYSE_1.pdf'
    assert first['page_no'] == 11
    assert first['img_path'] == osp.join(doclaynet_root, 'PNG', '0001abc.png')


def test_keep_precedence_switch(doclaynet_root):
    ds = DocLayNetDataset(
        data_root=doclaynet_root,
        ann_file='COCO/train.json',
        drop_nonzero_precedence=False)
    assert ds.skipped == dict(small_bbox=1)
    assert sum(len(ds.get_data_info(i)['instances']) for i in range(2)) == 6


def test_registry_build_with_subset_classes(doclaynet_root):
    ds = DATASETS.build(
        dict(
            type='DocLayNetDataset',
            data_root=doclaynet_root,
            ann_file='COCO/train.json',
            metainfo=dict(classes=('Picture', 'Table', 'Text')),
            filter_cfg=dict(filter_empty_gt=True)))
    assert isinstance(ds, DocLayNetDataset)
    assert ds.metainfo['classes'] == ('Picture', 'Table', 'Text')
    # colours follow the class names of the full palette
    full = dict(zip(NAMES, DocLayNetDataset.METAINFO['palette']))
    assert ds.metainfo['palette'] == [
        full['Picture'], full['Table'], full['Text']
    ]
    labels = [[i['bbox_label'] for i in ds.get_data_info(k)['instances']]
              for k in range(len(ds))]
    assert labels == [[2, 1], [0]]


def test_wrong_category_names(write_coco, tmp_path):
    cats = [dict(id=i + 1, name=n.lower()) for i, n in enumerate(NAMES)]
    path = write_coco([page(1)], [], cats)
    with pytest.raises(AnnotationFormatError) as err:
        DocLayNetDataset(ann_file=path)
    assert path in str(err.value) and "'caption'" in str(err.value)
