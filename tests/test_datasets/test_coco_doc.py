# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of :class:`docseg_mm.datasets.CocoDocDataset`."""
import os.path as osp

import pytest

from docseg_mm.datasets import AnnotationFormatError, CocoDocDataset
from docseg_mm.datasets.ann_checks import EmptyDatasetError
from docseg_mm.registry import DATASETS

CATS = [dict(id=1, name='text'), dict(id=2, name='figure')]


def img(i, w=100, h=80, **extra):
    return dict(id=i, file_name=f'p{i}.png', width=w, height=h, **extra)


def ann(i, image_id=1, cat=1, bbox=(10, 10, 20, 20), **extra):
    out = dict(
        id=i,
        image_id=image_id,
        category_id=cat,
        bbox=list(bbox),
        area=bbox[2] * bbox[3] if len(bbox) == 4 else 1,
        iscrowd=0)
    out.update(extra)
    return out


def build(ann_file, **kwargs):
    kwargs.setdefault('data_prefix', dict(img='imgs/'))
    return CocoDocDataset(ann_file=ann_file, **kwargs)


def test_classes_from_file_sorted_by_id(write_coco):
    path = write_coco([img(1)], [ann(1, cat=2), ann(2, cat=1)],
                      [dict(id=1, name='text'),
                       dict(id=2, name='figure')])
    ds = build(path)
    assert ds.metainfo['classes'] == ('text', 'figure')
    assert len(ds.metainfo['palette']) == 2
    assert ds.cat_ids == [1, 2]
    labels = [i['bbox_label'] for i in ds.get_data_info(0)['instances']]
    assert labels == [1, 0]
    assert ds.skipped == {}


def test_unsorted_file_categories_warn_about_metric(write_coco, log_lines):
    path = write_coco([img(1)], [ann(1, cat=1)],
                      [dict(id=2, name='figure'),
                       dict(id=1, name='text')])
    ds = build(path)
    assert ds.metainfo['classes'] == ('text', 'figure')
    assert any('sort_categories=True' in line for line in log_lines)


def test_classes_from_config_subset(write_coco, log_lines):
    anns = [ann(1, cat=1), ann(2, cat=2), ann(3, cat=2)]
    path = write_coco([img(1)], anns, CATS)
    ds = build(path, metainfo=dict(classes=('figure', )))
    assert ds.metainfo['classes'] == ('figure', )
    info = ds.get_data_info(0)
    assert [i['bbox_label'] for i in info['instances']] == [0, 0]
    assert ds.load_stats['unselected_category'] == 1
    assert ds.skipped == {}  # subsetting is not a problem
    assert '2/3 annotations kept' in log_lines[-1]


def test_config_class_absent_from_file(write_coco):
    path = write_coco([img(1)], [ann(1)], CATS)
    with pytest.raises(AnnotationFormatError) as err:
        build(path, metainfo=dict(classes=('text', 'Table')))
    msg = str(err.value)
    assert "['Table']" in msg and path in msg
    assert "['text', 'figure']" in msg  # the names found


def test_config_class_order_must_match_metric(write_coco):
    path = write_coco([img(1)], [ann(1, cat=1), ann(2, cat=2)], CATS)
    with pytest.raises(AnnotationFormatError, match='ordered differently'):
        build(path, metainfo=dict(classes=('figure', 'text')))
    ds = build(
        path,
        metainfo=dict(classes=('figure', 'text')),
        check_class_order=False)
    # labels still follow the names
    assert [i['bbox_label']
            for i in ds.get_data_info(0)['instances']] == [1, 0]


def test_unknown_category_error_and_skip(write_coco):
    path = write_coco([img(1)], [ann(1), ann(77, cat=9)], CATS)
    with pytest.raises(AnnotationFormatError) as err:
        build(path)
    msg = str(err.value)
    assert path in msg and 'annotation id 77' in msg and 'category_id 9' in msg
    ds = build(path, unknown_category='skip')
    assert ds.skipped == {'unknown_category': 1}
    assert ds.skipped_ids == {'unknown_category': [77]}
    assert len(ds.get_data_info(0)['instances']) == 1
    with pytest.raises(ValueError, match='unknown_category'):
        build(path, unknown_category='ignore')


@pytest.mark.parametrize('file_name', [None, '', '  '])
def test_image_without_file_name(write_coco, file_name):
    bad = dict(id=42, width=10, height=10)
    if file_name is not None:
        bad['file_name'] = file_name
    path = write_coco([img(1), bad], [], CATS)
    with pytest.raises(AnnotationFormatError) as err:
        build(path)
    assert 'image id 42' in str(err.value) and path in str(err.value)
    assert 'file_name' in str(err.value)


def test_image_without_size(write_coco):
    path = write_coco([dict(id=5, file_name='a.png', width=10)], [], CATS)
    with pytest.raises(AnnotationFormatError, match="image id 5.*'height'"):
        build(path)


def test_missing_file(tmp_path):
    path = osp.join(str(tmp_path), 'nope.json')
    with pytest.raises(FileNotFoundError, match='nope.json'):
        build(path)


def test_not_json(tmp_path):
    path = osp.join(str(tmp_path), 'broken.json')
    with open(path, 'w') as f:
        f.write('{"images": [')
    with pytest.raises(AnnotationFormatError, match='broken.json.*not valid'):
        build(path)


def test_missing_and_wrong_typed_keys(write_coco, tmp_path):
    path = osp.join(str(tmp_path), 'nokeys.json')
    with open(path, 'w') as f:
        f.write('{"images": []}')
    with pytest.raises(AnnotationFormatError) as err:
        build(path)
    assert 'nokeys.json' in str(err.value)
    assert "['annotations', 'categories']" in str(err.value)

    path = write_coco({'1': img(1)}, [], CATS, name='dict_images.json')
    with pytest.raises(
            AnnotationFormatError,
            match="dict_images.json.*'images' must be a list"):
        build(path)

    path = write_coco([img(1)], ['x'], CATS, name='str_ann.json')
    with pytest.raises(AnnotationFormatError, match=r'annotations\[0\]'):
        build(path)

    path = write_coco([img(1)], [], [dict(id='1', name='a')], name='c.json')
    with pytest.raises(AnnotationFormatError, match=r'categories\[0\]'):
        build(path)


def test_duplicate_ids(write_coco):
    path = write_coco([img(1), img(1)], [], CATS)
    with pytest.raises(AnnotationFormatError, match='image id 1 .*more than'):
        build(path)
    path = write_coco([img(1)], [ann(3), ann(3)], CATS, name='dup.json')
    with pytest.raises(AnnotationFormatError, match='annotation id 3 is used'):
        build(path)


def test_degenerate_boxes_and_polygons_are_counted(write_coco, log_lines):
    good_poly = [[10, 10, 30, 10, 30, 30, 10, 30]]
    anns = [
        ann(1, segmentation=good_poly),  # kept
        ann(2, bbox=(10, 10, 0.5, 20)),  # small_bbox
        ann(3, bbox=(10, 10, 20, 0)),  # small_bbox
        ann(4, bbox=(10, float('nan'), 20, 20)),  # bad_bbox
        ann(5, bbox=(10, 10, 20)),  # bad_bbox (3 numbers)
        ann(6, bbox=('a', 1, 2, 3)),  # bad_bbox
        ann(7, segmentation=[[10, 10, 30, 10]]),  # bad_polygon (2 points)
        ann(8, segmentation=[[10, 10, 30, 10, 30]]),  # bad_polygon (odd)
        ann(9, segmentation=[[0, 0, 5, 5, 10, 10]]),  # bad_polygon (area 0)
        ann(10, image_id=99),  # missing_image
        ann(11, segmentation=[[10, 10, 30, 10, 30, 30], [1, 1, 2, 2]]),
        ann(12, bbox=(500, 500, 20, 20)),  # outside_image
    ]
    path = write_coco([img(1)], anns, CATS)
    ds = build(path)
    assert ds.skipped == dict(
        small_bbox=2,
        bad_bbox=3,
        bad_polygon=3,
        missing_image=1,
        outside_image=1)
    assert ds.skipped_ids['bad_bbox'] == [4, 5, 6]
    assert ds.skipped_ids['bad_polygon'] == [7, 8, 9]
    instances = ds.get_data_info(0)['instances']
    assert len(instances) == 2
    assert instances[0]['mask'] == [[10., 10., 30., 10., 30., 30., 10., 30.]]
    # ann 11 keeps its good part only
    assert instances[1]['mask'] == [[10., 10., 30., 10., 30., 30.]]
    assert ds.load_stats['polygon_parts_dropped'] == 1
    # one summary line naming the file, counts and ids
    summary = [line for line in log_lines if path in line]
    assert len(summary) == 1
    assert 'bad_bbox=3 (ann ids 4, 5, 6)' in summary[0]
    assert 'missing_image=1 (ann ids 10)' in summary[0]
    assert '2/12 annotations kept' in summary[0]


def test_logged_ids_are_capped(write_coco, log_lines):
    anns = [ann(i, bbox=(1, 1, 0, 0)) for i in range(1, 9)]
    ds = build(write_coco([img(1)], anns, CATS), num_logged_ids=3)
    assert ds.skipped == {'small_bbox': 8}
    assert 'small_bbox=8 (ann ids 1, 2, 3, ...)' in log_lines[-1]


def test_clipping(write_coco):
    anns = [
        ann(1, bbox=(-0.49, -0.25, 50, 30)),
        ann(2, bbox=(90.5, 70, 20, 20)),
        ann(3, bbox=(10, 10, 20, 20)),
        ann(4, bbox=(99.5, 10, 20, 20)),  # 0.5 px left on the page
    ]
    path = write_coco([img(1, w=100, h=80)], anns, CATS)
    ds = build(path)
    boxes = [i['bbox'] for i in ds.get_data_info(0)['instances']]
    assert boxes == [[0., 0., 49.51, 29.75], [90.5, 70., 100., 80.],
                     [10., 10., 30., 30.]]
    assert ds.load_stats['clipped'] == 3
    assert ds.skipped == {'outside_image': 1}

    raw = build(path, clip_boxes=False)
    boxes = [i['bbox'] for i in raw.get_data_info(0)['instances']]
    assert boxes[0] == [-0.49, -0.25, 49.51, 29.75]
    assert boxes[1] == [90.5, 70., 110.5, 90.]
    assert len(boxes) == 4


def test_extra_image_fields_and_paths(write_coco, tmp_path):
    images = [
        img(1, doc_category='financial_reports', page_no=3, instances='clash')
    ]
    path = write_coco(images, [ann(1)], CATS)
    ds = CocoDocDataset(
        data_root=str(tmp_path),
        ann_file='ann.json',
        data_prefix=dict(img='imgs/'))
    info = ds.get_data_info(0)
    assert info['doc_category'] == 'financial_reports'
    assert info['page_no'] == 3
    assert info['file_name'] == 'p1.png'
    assert info['image_instances'] == 'clash'
    assert len(info['instances']) == 1
    assert info['img_path'] == osp.join(str(tmp_path), 'imgs', 'p1.png')
    assert ds.ann_file == path
    assert (info['width'], info['height'], info['img_id']) == (100, 80, 1)


def test_crowd_mask_rle_and_bbox_fallback(write_coco):
    rle = dict(counts=[0, 4, 96], size=[10, 10])
    anns = [
        ann(1, bbox=(1, 1, 5, 5), iscrowd=1, segmentation=rle),
        ann(2, bbox=(1, 1, 5, 5), segmentation=dict(size=[10, 10])),
        ann(3, bbox=(-1, 2, 11, 4)),  # no segmentation
    ]
    path = write_coco([img(1, w=10, h=10)], anns, CATS)
    ds = build(path)
    inst = ds.get_data_info(0)['instances']
    assert inst[0]['ignore_flag'] == 1 and inst[0]['mask'] == rle
    assert 'mask' not in inst[1]
    assert ds.skipped == {'bad_rle': 1}
    ds = build(path, bbox_as_missing_mask=True)
    assert ds.get_data_info(0)['instances'][1]['mask'] == [[
        0., 2., 10., 2., 10., 6., 0., 6.
    ]]


def test_filter_cfg(write_coco):
    images = [img(1), img(2), img(3, w=20, h=300), img(4)]
    anns = [
        ann(1, image_id=1),
        ann(2, image_id=2, bbox=(0, 0, 0.2, 0.2)),  # only degenerate
        ann(3, image_id=3),
        ann(4, image_id=4, cat=2),  # only an unselected class
    ]
    path = write_coco(images, anns, CATS)
    meta = dict(classes=('text', ))
    ds = build(path, metainfo=meta, filter_cfg=dict(filter_empty_gt=True))
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == [1, 3]
    ds = build(
        path,
        metainfo=meta,
        filter_cfg=dict(filter_empty_gt=True, min_size=32))
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == [1]
    ds = build(path, metainfo=meta, filter_cfg=dict(filter_empty_gt=False))
    assert len(ds) == 4
    ds = build(
        path,
        metainfo=meta,
        test_mode=True,
        filter_cfg=dict(filter_empty_gt=True))
    assert len(ds) == 4
    assert ds.cat_img_map == {1: [1, 3]}


def test_build_from_registry(write_coco):
    path = write_coco([img(1)], [ann(1)], CATS)
    ds = DATASETS.build(
        dict(type='CocoDocDataset', ann_file=path, data_prefix=dict(img='')))
    assert isinstance(ds, CocoDocDataset)
    assert ds.metainfo['classes'] == ('text', 'figure')


def test_data_prefix_needs_img(write_coco):
    path = write_coco([img(1)], [ann(1)], CATS)
    with pytest.raises(ValueError, match="'img' key"):
        CocoDocDataset(ann_file=path, data_prefix=dict(img_path=''))


def test_filtering_that_leaves_no_image_names_file_and_filter(write_coco):
    # one page whose only box lies outside it
    path = write_coco([img(1)], [ann(1, bbox=(200, 200, 10, 10))], CATS)
    with pytest.raises(EmptyDatasetError) as err:
        build(path, filter_cfg=dict(filter_empty_gt=True))
    msg = str(err.value)
    assert path in msg and 'filter_empty_gt=True removed 1 image' in msg
    assert 'outside_image=1 (ann ids 1)' in msg and 'p1.png' in msg
    # only pages without annotations
    path = write_coco([img(1), img(2)], [], CATS, name='empty.json')
    with pytest.raises(EmptyDatasetError, match='removed 2 image'):
        build(path, filter_cfg=dict(filter_empty_gt=True))
    with pytest.raises(EmptyDatasetError, match='min_size=500 removed 2'):
        build(path, filter_cfg=dict(min_size=500))
    # no image at all, even in test mode
    path = write_coco([], [], CATS, name='none.json')
    with pytest.raises(EmptyDatasetError, match='lists no image'):
        build(path, test_mode=True)
    assert issubclass(EmptyDatasetError, AnnotationFormatError)


def test_rle_of_another_size_names_file_and_annotation(write_coco):
    rle = dict(counts=[0, 4, 96], size=[10, 10])
    path = write_coco([img(1, w=100, h=80)],
                      [ann(1), ann(57, segmentation=rle)], CATS)
    with pytest.raises(AnnotationFormatError) as err:
        build(path)
    msg = str(err.value)
    assert path in msg and 'annotation id 57' in msg
    assert '[10, 10]' in msg and '80x100' in msg


def test_file_listed_under_two_image_ids_is_loaded_once(write_coco,
                                                        log_lines):
    images = [img(1), img(2), dict(img(3), file_name='./p1.png')]
    anns = [ann(1, image_id=1), ann(2, image_id=3), ann(3, image_id=2)]
    path = write_coco(images, anns, CATS)
    ds = build(path)
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == [1, 2]
    assert ds.skipped == {'duplicate_file': 1, 'duplicate_file_ann': 1}
    assert "image id 3 lists './p1.png' again (first as image id 1)" in \
        ds.skipped_ids['duplicate_file'][0]
    assert 'duplicate_file=1' in log_lines[-1]
    with pytest.raises(AnnotationFormatError, match='first as image id 1'):
        build(path, duplicate_files='error')
