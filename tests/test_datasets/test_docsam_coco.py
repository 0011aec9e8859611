# Copyright (c) docseg_mm contributors. All rights reserved.
"""DocSAMCocoDataset: class prompts and the coarse relabelling."""
import pytest

from docseg_mm.datasets.ann_checks import AnnotationFormatError
from docseg_mm.datasets.docsam_coco import (DOCLAYNET_TO_COARSE,
                                            DocSAMCocoDataset)

DOCLAYNET = ('Caption', 'Footnote', 'Formula', 'List-item', 'Page-footer',
             'Page-header', 'Picture', 'Section-header', 'Table', 'Text',
             'Title')
CATS = [dict(id=i + 1, name=n) for i, n in enumerate(DOCLAYNET)]
IMAGES = [dict(id=1, file_name='p1.png', width=100, height=100, task='x')]
# category ids: 7 Picture, 9 Table, 1 Caption, 10 Text
ANNS = [
    dict(id=1, image_id=1, category_id=7, bbox=[0, 0, 10, 10], area=100),
    dict(id=2, image_id=1, category_id=9, bbox=[20, 0, 10, 10], area=100),
    dict(id=3, image_id=1, category_id=1, bbox=[40, 0, 10, 10], area=100),
    dict(id=4, image_id=1, category_id=10, bbox=[60, 0, 10, 10], area=100),
]


def _labels(ds):
    return [i['bbox_label'] for i in ds.get_data_info(0)['instances']]


def test_original_classes(write_coco):
    ann_file = write_coco(IMAGES, ANNS, CATS)
    ds = DocSAMCocoDataset(ann_file=ann_file, dataset_name='DemoDocLayNet')
    assert ds.metainfo['classes'] == DOCLAYNET
    assert ds.class_names == DOCLAYNET + ('DemoDocLayNet _background_', )
    assert ds.metainfo['class_names'] == ds.class_names
    assert ds.metainfo['dataset_name'] == 'DemoDocLayNet'
    assert ds.metainfo['task'] == 'layout'
    assert _labels(ds) == [6, 8, 0, 9]
    info = ds.get_data_info(0)
    assert info['class_names'] == ds.class_names
    assert info['dataset_name'] == 'DemoDocLayNet'
    assert info['task'] == 'layout' and info['image_task'] == 'x'


def test_coarse_relabelling(write_coco):
    ann_file = write_coco(IMAGES, ANNS, CATS)
    ds = DocSAMCocoDataset(
        ann_file=ann_file,
        dataset_name='DemoCoarse',
        task='layout',
        class_map=DOCLAYNET_TO_COARSE)
    assert ds.metainfo['classes'] == ('figure', 'table', 'text')
    assert ds.class_names == ('figure', 'table', 'text',
                              'DemoCoarse _background_')
    # Picture -> figure (0), Table -> table (1), Caption / Text -> text (2)
    assert _labels(ds) == [0, 1, 2, 2]
    info = ds.get_data_info(0)
    assert info['class_names'] == ds.class_names
    assert [ds.class_names[i]
            for i in _labels(ds)] == ['figure', 'table', 'text', 'text']
    assert ds.cat_ids == [1, 2, 3]
    assert ds.cat_img_map == {1: [1], 2: [1], 3: [1]}


def test_explicit_order_and_drop(write_coco):
    ann_file = write_coco(IMAGES, ANNS, CATS)
    class_map = dict(DOCLAYNET_TO_COARSE, Table=None)
    ds = DocSAMCocoDataset(
        ann_file=ann_file,
        dataset_name='D',
        metainfo=dict(classes=('text', 'figure')),
        class_map=class_map,
        background_name='bg')
    assert ds.class_names == ('text', 'figure', 'bg')
    assert _labels(ds) == [1, 0, 0]  # Picture, Caption, Text; Table dropped
    assert ds.load_stats['unselected_category'] == 1
    with pytest.raises(AnnotationFormatError, match='table'):
        DocSAMCocoDataset(
            ann_file=ann_file,
            dataset_name='D',
            metainfo=dict(classes=('text', 'table')),
            class_map=class_map)


def test_class_map_errors(write_coco):
    ann_file = write_coco(IMAGES, ANNS, CATS)
    partial = {k: v for k, v in DOCLAYNET_TO_COARSE.items() if k != 'Title'}
    with pytest.raises(AnnotationFormatError) as e:
        DocSAMCocoDataset(
            ann_file=ann_file, dataset_name='D', class_map=partial)
    assert 'Title' in str(e.value) and ann_file in str(e.value)
    with pytest.raises(ValueError, match='Title'):
        DocSAMCocoDataset(
            ann_file=ann_file,
            dataset_name='D',
            class_map=dict(DOCLAYNET_TO_COARSE, Title=3))
    with pytest.raises(ValueError, match='dataset_name'):
        DocSAMCocoDataset(ann_file=ann_file, dataset_name='')


def test_drop_nonzero_precedence(write_coco):
    anns = [dict(a) for a in ANNS]
    anns[1]['precedence'] = 1  # a redundant Table annotation
    ann_file = write_coco(IMAGES, anns, CATS)
    kept = DocSAMCocoDataset(ann_file=ann_file, dataset_name='D')
    assert _labels(kept) == [6, 8, 0, 9]
    ds = DocSAMCocoDataset(
        ann_file=ann_file,
        dataset_name='D',
        class_map=DOCLAYNET_TO_COARSE,
        drop_nonzero_precedence=True)
    assert _labels(ds) == [0, 2, 2]
    assert ds.skipped == dict(precedence=1)


def test_named_class_map(write_coco):
    ann_file = write_coco(IMAGES, ANNS, CATS)
    ds = DocSAMCocoDataset(
        ann_file=ann_file, dataset_name='D', class_map='doclaynet_to_coarse')
    assert ds.metainfo['classes'] == ('figure', 'table', 'text')
    # Picture -> figure, Table -> table, Caption / Text -> text
    assert _labels(ds) == [0, 1, 2, 2]
    # a preset with one entry changed (as --cfg-options class_map.Table=...)
    ds = DocSAMCocoDataset(
        ann_file=ann_file, dataset_name='D',
        class_map=dict(_preset_='doclaynet_to_coarse', Table='grid',
                       Picture=None))
    assert ds.metainfo['classes'] == ('grid', 'text')
    # Picture dropped, Table -> grid, Caption / Text -> text
    assert _labels(ds) == [0, 1, 1]
    assert DOCLAYNET_TO_COARSE['Table'] == 'table'  # the preset is intact
    with pytest.raises(ValueError, match="unknown class_map 'coarse'"):
        DocSAMCocoDataset(
            ann_file=ann_file, dataset_name='D', class_map='coarse')
