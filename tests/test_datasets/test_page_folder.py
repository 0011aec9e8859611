# Copyright (c) docseg_mm contributors. All rights reserved.
"""PageImageFolder listing (LoadTiffPage: test_transforms/test_loading.py)."""
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from docseg_mm.datasets import PageImageFolder
from docseg_mm.registry import DATASETS


def _save(path, array, mode=None, **kwargs) -> str:
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = Image.fromarray(array)
    (img.convert(mode) if mode else img).save(path, **kwargs)
    return path


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
