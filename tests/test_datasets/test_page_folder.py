# Copyright (c) docseg_mm contributors. All rights reserved.
"""LoadTiffPage pixel values and PageImageFolder listing."""
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from docseg_mm.datasets import (ImageLoadError, ImageNotFoundError,
                                LoadTiffPage, PageImageFolder)
from docseg_mm.registry import DATASETS, TRANSFORMS


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


def _make_folder(root):
    png = np.full((4, 4, 3), 128, np.uint8)
    for rel in ('b.png', 'a/z.JPG', 'a/c.tif', 'a/deep/x.webp', 'notes.txt',
                '.hidden.png', '.cache/y.png'):
        path = osp.join(root, rel)
        if rel.endswith('.txt'):
            os.makedirs(osp.dirname(path), exist_ok=True)
            open(path, 'w').close()
        elif rel.lower().endswith('.jpg'):
            _save(path, png, quality=95)
        else:
            _save(path, png)


def test_page_folder_sorted_recursive_listing(tmp_path):
    root = str(tmp_path / 'pages')
    _make_folder(root)
    ds = DATASETS.build(dict(type='PageImageFolder', data_root=root))
    rels = [ds.get_data_info(i)['rel_path'] for i in range(len(ds))]
    assert rels == ['a/c.tif', 'a/deep/x.webp', 'a/z.JPG', 'b.png']
    assert ds.get_data_info(0)['img_path'] == osp.join(root, 'a/c.tif')
    flat = PageImageFolder(data_root=root, recursive=False)
    assert [flat.get_data_info(i)['rel_path'] for i in range(len(flat))] \
        == ['b.png']
    tif_only = PageImageFolder(data_root=root, extensions=('.tif', ))
    assert len(tif_only) == 1


def test_page_folder_with_pipeline(tmp_path):
    root = str(tmp_path / 'pages')
    _make_folder(root)
    ds = PageImageFolder(data_root=root, pipeline=[dict(type='LoadTiffPage')])
    assert ds[0]['img'].shape == (4, 4, 3)


def test_page_folder_empty_or_missing_folder(tmp_path):
    empty = tmp_path / 'empty'
    (empty / 'sub').mkdir(parents=True)
    (empty / 'readme.txt').write_text('x')
    with pytest.raises(FileNotFoundError, match='no page image.*empty'):
        PageImageFolder(data_root=str(empty))
    with pytest.raises(FileNotFoundError, match='absent'):
        PageImageFolder(data_root=str(tmp_path / 'absent'))


def test_page_folder_ann_file(tmp_path):
    root = str(tmp_path / 'pages')
    _make_folder(root)
    (tmp_path / 'pages' /
     'list.txt').write_text('# my pages\nb.png\n\na/c.tif\n')
    ds = PageImageFolder(data_root=root, ann_file='list.txt')
    assert [ds.get_data_info(i)['rel_path'] for i in range(len(ds))] == \
        ['b.png', 'a/c.tif']
    (tmp_path / 'pages' / 'bad.txt').write_text('b.png\nmissing.png\n')
    with pytest.raises(FileNotFoundError, match=r'bad\.txt:2'):
        PageImageFolder(data_root=root, ann_file='bad.txt')
    ds = PageImageFolder(
        data_root=root, ann_file='bad.txt', missing_images='skip')
    assert len(ds) == 1
    (tmp_path / 'pages' / 'blank.txt').write_text('\n# nothing\n')
    with pytest.raises(FileNotFoundError, match='blank.txt.*empty'):
        PageImageFolder(data_root=root, ann_file='blank.txt')
