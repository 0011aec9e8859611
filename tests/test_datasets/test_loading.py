# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of :class:`docseg_mm.datasets.transforms.LoadDocImageFromFile`."""
import os.path as osp

import numpy as np
import pytest

from docseg_mm.datasets import (ImageLoadError, ImageNotFoundError,
                                ImageSizeMismatchError, LoadDocImageFromFile)
from docseg_mm.datasets.transforms import loading
from docseg_mm.registry import DATASETS, TRANSFORMS


def write_bytes(tmp_path, name, data):
    path = osp.join(str(tmp_path), name)
    with open(path, 'wb') as f:
        f.write(data)
    return path


def test_loads_good_image(write_png):
    path = write_png('ok.png', 40, 30)
    out = LoadDocImageFromFile()(dict(img_path=path, height=30, width=40))
    assert out['img'].shape == (30, 40, 3)
    assert out['img_shape'] == (30, 40) == out['ori_shape']
    assert out['img'].dtype == np.uint8
    out = LoadDocImageFromFile(to_float32=True)(dict(img_path=path))
    assert out['img'].dtype == np.float32


def test_built_from_registry():
    t = TRANSFORMS.build(
        dict(type='LoadDocImageFromFile', skip_bad_images=True))
    assert isinstance(t, LoadDocImageFromFile) and t.skip_bad_images
    assert 'skip_bad_images=True' in repr(t)


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
@pytest.mark.parametrize('kind', ['garbage', 'truncated', 'empty'])
def test_corrupt_image_names_path(write_png, tmp_path, kind, backend):
    good = open(write_png('good.png', 64, 48), 'rb').read()
    data = dict(
        garbage=b'this is not a png',
        truncated=good[:len(good) // 2],
        empty=b'')[kind]
    path = write_bytes(tmp_path, f'{kind}.png', data)
    with pytest.raises(ImageLoadError) as err:
        LoadDocImageFromFile(imdecode_backend=backend)(
            dict(img_path=path, img_id=17))
    assert isinstance(err.value, OSError)
    assert path in str(err.value) and 'img_id 17' in str(err.value)


def test_missing_image(tmp_path):
    path = osp.join(str(tmp_path), 'PNG', 'gone.png')
    with pytest.raises(FileNotFoundError) as err:
        LoadDocImageFromFile()(dict(img_path=path, img_id='a1'))
    assert isinstance(err.value, ImageNotFoundError)
    assert path in str(err.value) and "img_id 'a1'" in str(err.value)


def test_size_mismatch(write_png):
    path = write_png('page.png', 40, 30)
    with pytest.raises(ImageSizeMismatchError) as err:
        LoadDocImageFromFile()(dict(img_path=path, height=30, width=50))
    msg = str(err.value)
    assert path in msg and '40x30' in msg and '50x30' in msg
    out = LoadDocImageFromFile(check_size=False)(
        dict(img_path=path, height=30, width=50))
    assert out['img'].shape[:2] == (30, 40)


def test_skip_mode_counts_and_logs(write_png, tmp_path, monkeypatch):
    lines = []
    monkeypatch.setattr(loading, 'print_log',
                        lambda msg, **kw: lines.append(msg))
    bad = write_bytes(tmp_path, 'bad.png', b'\x89PNG broken')
    small = write_png('small.png', 10, 10)
    t = LoadDocImageFromFile(skip_bad_images=True)
    assert t(dict(img_path=bad)) is None
    assert t(dict(img_path=osp.join(str(tmp_path), 'none.png'))) is None
    assert t(dict(img_path=small, width=11, height=10)) is None
    assert t(dict(img_path=small, width=10, height=10)) is not None
    assert t.num_bad_images == 3
    assert t.bad_images[0] == bad
    assert len(lines) == 3 and bad in lines[0]


def _pipeline(skip):
    return [
        dict(type='LoadDocImageFromFile', skip_bad_images=skip),
        dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
        dict(type='mmdet.PackDetInputs'),
    ]


@pytest.fixture
def pages(write_coco, write_png, tmp_path):
    write_png('imgs/p1.png', 64, 48)
    write_bytes(tmp_path, 'imgs/p2.png', b'corrupt')  # corrupt file
    write_png('imgs/p3.png', 64, 64)  # json says 64x48
    images = [
        dict(id=i, file_name=f'p{i}.png', width=64, height=48)
        for i in (1, 2, 3)
    ]
    anns = [
        dict(
            id=i,
            image_id=i,
            category_id=1,
            bbox=[-0.5, 4, 20, 10],
            segmentation=[[0, 4, 19.5, 4, 19.5, 14, 0, 14]],
            area=200) for i in (1, 2, 3)
    ]
    write_coco(images, anns, [dict(id=1, name='text')])
    return str(tmp_path)


def test_dataset_skips_to_another_sample(pages):
    np.random.seed(0)
    ds = DATASETS.build(
        dict(
            type='CocoDocDataset',
            data_root=pages,
            ann_file='ann.json',
            data_prefix=dict(img='imgs/'),
            pipeline=_pipeline(skip=True)))
    for idx in (1, 2):
        data = ds[idx]
        sample = data['data_samples']
        assert sample.img_id == 1
        assert data['inputs'].shape == (3, 48, 64)
        assert sample.gt_instances.bboxes.tensor.tolist() == [[
            0., 4., 19.5, 14.
        ]]
        assert sample.gt_instances.masks.masks.shape == (1, 48, 64)
    assert ds.pipeline.transforms[0].num_bad_images >= 2
    assert set(ds.pipeline.transforms[0].bad_images) == {
        osp.join(pages, 'imgs', 'p2.png'),
        osp.join(pages, 'imgs', 'p3.png')
    }


def test_dataset_raises_without_skip(pages):
    ds = DATASETS.build(
        dict(
            type='CocoDocDataset',
            data_root=pages,
            ann_file='ann.json',
            data_prefix=dict(img='imgs/'),
            pipeline=_pipeline(skip=False)))
    assert ds[0]['data_samples'].img_id == 1
    with pytest.raises(ImageLoadError, match=r'p2\.png.*img_id 2'):
        ds[1]
    with pytest.raises(ImageSizeMismatchError, match=r'p3\.png.*64x64'):
        ds[2]
    # in test mode mmengine refuses a None sample even in skip mode
    ds = DATASETS.build(
        dict(
            type='CocoDocDataset',
            data_root=pages,
            ann_file='ann.json',
            data_prefix=dict(img='imgs/'),
            test_mode=True,
            pipeline=_pipeline(skip=True)))
    with pytest.raises(Exception, match='should not get `None`'):
        ds[1]
