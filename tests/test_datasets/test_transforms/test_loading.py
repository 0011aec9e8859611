# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of the page loaders ``LoadDocImageFromFile`` and ``LoadTiffPage``."""
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from docseg_mm.datasets import (ImageLoadError, ImageNotFoundError,
                                ImageSizeMismatchError, LoadDocImageFromFile,
                                LoadTiffPage)
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


def test_skip_mode_fails_fast_when_no_image_is_readable(
        write_coco, tmp_path, monkeypatch):
    """A training set without one readable image: mmengine would refetch
    1000 times; the loader gives up after ``max_consecutive_bad``."""
    lines = []
    monkeypatch.setattr(loading, 'print_log',
                        lambda msg, **kw: lines.append(msg))
    os.makedirs(tmp_path / 'imgs')
    for i in (1, 2, 3):
        write_bytes(tmp_path, f'imgs/p{i}.png', b'not a png')
    write_coco([dict(id=i, file_name=f'p{i}.png', width=8, height=8)
                for i in (1, 2, 3)],
               [dict(id=i, image_id=i, category_id=1, bbox=[1, 1, 4, 4],
                     area=16) for i in (1, 2, 3)],
               [dict(id=1, name='text')])
    ds = DATASETS.build(
        dict(type='CocoDocDataset', data_root=str(tmp_path),
             ann_file='ann.json', data_prefix=dict(img='imgs/'),
             pipeline=_pipeline(skip=True)))
    with pytest.raises(ImageLoadError) as err:
        ds[0]
    assert '50 samples in a row' in str(err.value)
    assert 'check_dataset.py' in str(err.value)
    assert len(lines) == 49  # 49 logged skips, the 50th raises
    # a readable image ends the streak
    good = osp.join(str(tmp_path), 'good.png')
    Image.new('RGB', (8, 8)).save(good)
    t = LoadDocImageFromFile(skip_bad_images=True, max_consecutive_bad=3)
    bad = dict(img_path=osp.join(str(tmp_path), 'imgs', 'p1.png'))
    for _ in range(5):
        assert t(dict(bad)) is None
        assert t(dict(bad)) is None
        assert t(dict(img_path=good)) is not None
    with pytest.raises(ImageLoadError, match='3 samples in a row'):
        for _ in range(3):
            t(dict(bad))


# ---------------------------------------------------------------------------
# LoadTiffPage
# ---------------------------------------------------------------------------
def _save(path, array, mode=None, **kwargs) -> str:
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = Image.fromarray(array)
    (img.convert(mode) if mode else img).save(path, **kwargs)
    return path


def _load(path, **kwargs) -> np.ndarray:
    return LoadTiffPage(**kwargs)(dict(img_path=str(path)))['img']


def test_one_bit_tiff_is_0_255_bgr(tmp_path):
    bits = np.zeros((6, 8), bool)
    bits[:2] = True
    for compression in (None, 'group4'):
        path = _save(
            str(tmp_path / f'bw_{compression}.tif'),
            bits,
            '1',
            compression=compression)
        assert Image.open(path).mode == '1'
        img = _load(path)
        assert img.shape == (6, 8, 3) and img.dtype == np.uint8
        assert (img[:2] == 255).all() and (img[2:] == 0).all()
        gray = _load(path, color_type='grayscale')
        assert gray.shape == (6, 8) and gray.max() == 255


def test_gray_rgb_and_16bit_pages(tmp_path):
    gray = (np.arange(48).reshape(6, 8) * 5).astype(np.uint8)
    img = _load(_save(str(tmp_path / 'g.tif'), gray))
    assert (img == gray[..., None]).all()

    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0] = 200  # red in RGB -> last channel in BGR
    rgb[..., 1] = 10
    img = _load(_save(str(tmp_path / 'rgb.tif'), rgb))
    assert img[0, 0].tolist() == [0, 10, 200]

    deep = np.full((3, 3), 47000, np.uint16)
    path = _save(str(tmp_path / 'g16.tif'), deep)
    assert Image.open(path).mode.startswith('I;16')
    assert (_load(path) == 47000 >> 8).all()  # scaled like cv2, not clipped


def test_multipage_tiff_page_selection(tmp_path):
    path = str(tmp_path / 'multi.tif')
    first = Image.fromarray(np.full((6, 8), 10, np.uint8))
    second = Image.fromarray(np.full((4, 5), 200, np.uint8))
    first.save(path, save_all=True, append_images=[second])
    results = LoadTiffPage()(dict(img_path=path))
    assert results['img'].shape == (6, 8, 3) and results['num_pages'] == 2
    assert (results['img'] == 10).all()
    for page in (1, -1):
        img = _load(path, page=page)
        assert img.shape == (4, 5, 3) and (img == 200).all()
    # a per-sample 'page' in the data info wins
    assert LoadTiffPage()(dict(img_path=path, page=1))['img'].shape[:2] == \
        (4, 5)
    with pytest.raises(ImageLoadError, match=r'multi\.tif.*2 page'):
        _load(path, page=2)


def test_loader_errors_name_the_file(tmp_path):
    missing = str(tmp_path / 'nope.tif')
    with pytest.raises(ImageNotFoundError, match='nope.tif'):
        _load(missing)
    broken = tmp_path / 'broken.tif'
    broken.write_bytes(b'II*\x00garbage')
    with pytest.raises(ImageLoadError, match='broken.tif'):
        _load(broken)
    loader = LoadTiffPage(skip_bad_images=True)
    assert loader(dict(img_path=str(broken))) is None
    assert loader(dict(img_path=missing)) is None
    assert loader.num_bad_images == 2
    assert isinstance(
        TRANSFORMS.build(dict(type='LoadTiffPage')), LoadTiffPage)
