# Copyright (c) docseg_mm contributors. All rights reserved.
"""DocSAMFolderDataset: per-image jsons, rectification, class prompts."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from docseg_mm.datasets.ann_checks import AnnotationFormatError
from docseg_mm.datasets.docsam_folder import DocSAMFolderDataset
from docseg_mm.datasets.docsam_meta import parse_dataset_path

CATS_A = [
    dict(id=1, name='text'),
    dict(id=2, name='table'),
    dict(id=3, name='text word'),
    dict(id=4, name='_background_')
]
ANNS_A = [
    dict(id=10, category_id=1, bbox=[10, 10, 20, 10]),  # int id, no polygon
    dict(
        id=11,
        category_id='table',
        segmentation=[[50, 50, 70, 50, 70, 70, 50, 70]]),  # name, no bbox
    dict(id=12, category_id=3, bbox=[1, 1, 5, 5]),  # text word + table
    dict(id=13, category_id=4, bbox=[1, 1, 5, 5]),  # background
    dict(id=14, category_id=1),  # no geometry
    dict(id=15, category_id=1, bbox=[90, 70, 20, 20]),  # clipped
    dict(id=16, category_id='text', poly=[0, 0, 10, 0, 10, 5, 0, 5]),
]
CATS_B = [dict(id=7, name='figure'), dict(id=8, name='text word')]
ANNS_B = [
    dict(id=0, category_id=8, bbox=[5, 5, 10, 10]),
    dict(
        id=1,
        category_id=7,
        segmentation=[[-10, -10, 20, -10, 20, 20, -10, 20]]),
]


def _image(path, width, height):
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = np.full((height, width, 3), 255, np.uint8)
    assert cv2.imwrite(path, img)


def _json(root, stem, file_name, width, height, anns, cats):
    os.makedirs(osp.join(root, 'coco'), exist_ok=True)
    content = dict(
        images=[dict(id=1, file_name=file_name, width=width, height=height)],
        annotations=anns,
        categories=cats)
    with open(osp.join(root, 'coco', stem + '.json'), 'w') as f:
        json.dump(content, f)


@pytest.fixture
def folder(tmp_path):
    root = str(tmp_path / 'Layout' / 'TestSet' / 'train')
    _image(osp.join(root, 'image', 'a.png'), 100, 80)
    _image(osp.join(root, 'image', 'b.jpg'), 60, 40)
    _json(root, 'a', 'a.png', 100, 80, ANNS_A, CATS_A)
    _json(root, 'b', 'b.jpg', 60, 40, ANNS_B, CATS_B)
    with open(osp.join(root, 'list_train.txt'), 'w') as f:
        f.write('a\nb.jpg\n\n')
    return root


def _instances(info):
    return [(i['bbox_label'], [round(v, 3) for v in i['bbox']], i['mask'])
            for i in info['instances']]


def test_parse_dataset_path():
    assert parse_dataset_path('/d/Ancient/CASIA-AHCDB/Style1/train') == (
        'CASIA-AHCDB Style1', 'ancient')
    assert parse_dataset_path('/d/Layout/PubLayNet/val') == ('PubLayNet',
                                                             'layout')
    assert parse_dataset_path('/d/Table/STDW') == ('STDW', 'table')
    assert parse_dataset_path('/d/SceneText/CTW-1500/test') == ('CTW-1500',
                                                                'scenetext')
    assert parse_dataset_path('/d/other') == (None, None)


def test_load_rectify_and_class_names(folder):
    ds = DocSAMFolderDataset(folder, split_file='list_train.txt')
    assert ds.dataset_name == 'TestSet' and ds.task == 'layout'
    classes = ('figure', 'table', 'text', 'text word')
    assert ds.metainfo['classes'] == classes
    assert ds.class_names == classes + ('TestSet _background_', )
    assert ds.metainfo['class_names'] == ds.class_names
    assert len(ds) == 2
    a, b = ds.get_data_info(0), ds.get_data_info(1)
    assert (a['img_id'], a['width'], a['height']) == ('a', 100, 80)
    assert a['img_path'] == osp.join(folder, 'image', 'a.png')
    assert b['img_path'] == osp.join(folder, 'image', 'b.jpg')
    for info in (a, b):
        assert info['class_names'] == ds.class_names
        assert info['dataset_name'] == 'TestSet' and info['task'] == 'layout'
    # sorted by area: table 400, text 200, clipped text 100, poly text 50
    assert _instances(a) == [
        (1, [50, 50, 70, 70], [[50, 50, 70, 50, 70, 70, 50, 70]]),
        (2, [10, 10, 30, 20], [[10, 10, 30, 10, 30, 20, 10, 20]]),
        (2, [90, 70, 100, 80], [[90, 70, 100, 70, 100, 80, 90, 80]]),
        (2, [0, 0, 10, 5], [[0, 0, 10, 0, 10, 5, 0, 5]]),
    ]
    # no table in b: 'text word' is kept; polygon clipped to the image
    assert _instances(b) == [
        (0, [0, 0, 20, 20], [[0, 0, 20, 0, 20, 20, 0, 20]]),
        (3, [5, 5, 15, 15], [[5, 5, 15, 5, 15, 15, 5, 15]]),
    ]
    assert ds.skipped == dict(text_word=1, background=1, no_geometry=1)


def test_explicit_classes_unknown_category(folder):
    classes = ('table', 'text', 'figure')
    with pytest.raises(AnnotationFormatError) as e:
        DocSAMFolderDataset(
            folder,
            split_file='list_train.txt',
            metainfo=dict(classes=classes))
    msg = str(e.value)
    assert 'b.json' in msg and 'annotations[0]' in msg and 'text word' in msg
    ds = DocSAMFolderDataset(
        folder,
        split_file='list_train.txt',
        metainfo=dict(classes=classes),
        skip_unknown=True)
    assert ds.skipped['unknown_category'] == 1
    assert ds.class_names == classes + ('TestSet _background_', )
    b = ds.get_data_info(1)
    assert [i['bbox_label'] for i in b['instances']] == [2]  # figure
    assert [i['bbox_label'] for i in ds.get_data_info(0)['instances']] == \
        [0, 1, 1, 1]


def test_unknown_category_id_and_bad_json(folder):
    _json(folder, 'a', 'a.png', 100, 80,
          [dict(id=5, category_id=9, bbox=[1, 1, 5, 5])], CATS_A)
    with pytest.raises(AnnotationFormatError, match=r'a\.json.*category_id 9'):
        DocSAMFolderDataset(folder, split_file='list_train.txt')
    _json(folder, 'a', 'a.png', 100, 80,
          [dict(id=5, category_id=[1], bbox=[1, 1, 5, 5])], CATS_A)
    with pytest.raises(AnnotationFormatError, match='invalid category_id'):
        DocSAMFolderDataset(folder, split_file='list_train.txt')
    with open(osp.join(folder, 'coco', 'a.json'), 'w') as f:
        f.write('{"images": [')
    with pytest.raises(AnnotationFormatError, match=r'a\.json.*not valid'):
        DocSAMFolderDataset(folder, split_file='list_train.txt')


def test_missing_files(folder):
    with open(osp.join(folder, 'list.txt'), 'w') as f:
        f.write('a\nb\nc\na\n')
    with pytest.raises(FileNotFoundError, match=r"entry 'c'.*c\.json"):
        DocSAMFolderDataset(folder, task='layout')
    ds = DocSAMFolderDataset(folder, skip_missing=True)
    assert len(ds) == 2 and ds.skipped['missing_file'] == 1
    assert ds.skipped['duplicate_entry'] == 1
    os.remove(osp.join(folder, 'image', 'b.jpg'))
    with pytest.raises(FileNotFoundError, match=r"entry 'b\.jpg'.*no image"):
        DocSAMFolderDataset(folder, split_file='list_train.txt')
    with pytest.raises(FileNotFoundError, match='split file not found'):
        DocSAMFolderDataset(folder, split_file='list_val.txt')


def test_resized_image_and_names(folder, tmp_path):
    _image(osp.join(folder, 'image_resize', 'a.png'), 200, 160)
    ds = DocSAMFolderDataset(
        folder,
        split_file=None,
        dataset_name='Mine',
        task='table',
        background_name='mine bg')
    assert ds.class_names[-1] == 'mine bg'
    a = ds.get_data_info(0)
    assert a['img_path'] == osp.join(folder, 'image_resize', 'a.png')
    assert (a['width'], a['height']) == (200, 160)
    assert a['instances'][0]['bbox'] == [100, 100, 140, 140]
    assert a['instances'][0]['mask'] == [[
        100, 100, 140, 100, 140, 140, 100, 140
    ]]
    plain = str(tmp_path / 'plain')
    _image(osp.join(plain, 'image', 'a.png'), 100, 80)
    _json(plain, 'a', 'a.png', 100, 80, ANNS_A, CATS_A)
    with pytest.raises(ValueError, match='task'):
        DocSAMFolderDataset(plain, split_file=None)
    ds = DocSAMFolderDataset(plain, split_file=None, task='layout')
    assert ds.dataset_name == 'plain'
    assert ds.class_names == ('table', 'text', 'plain _background_')


def test_pipeline_packs_class_names(folder):
    meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape',
                 'scale_factor', 'class_names', 'dataset_name', 'task')
    ds = DocSAMFolderDataset(
        folder,
        split_file='list_train.txt',
        pipeline=[
            dict(type='LoadDocImageFromFile'),
            dict(
                type='mmdet.LoadAnnotations',
                with_bbox=True,
                with_mask=True,
                poly2mask=False),
            dict(type='mmdet.PackDetInputs', meta_keys=meta_keys)
        ])
    sample = ds[1]['data_samples']
    assert sample.class_names == ds.class_names
    assert sample.dataset_name == 'TestSet' and sample.task == 'layout'
    assert sample.gt_instances.labels.tolist() == [0, 3]
    assert sample.gt_instances.bboxes.tensor.tolist() == [[0, 0, 20, 20],
                                                          [5, 5, 15, 15]]
    assert len(sample.gt_instances.masks) == 2
