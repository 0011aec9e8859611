# Copyright (c) docseg_mm contributors. All rights reserved.
"""The demo dataset writer: layout, COCO content, determinism, idempotence."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from docseg_mm.demo_data import (DOCLAYNET_CLASSES, FORMAT_VERSION, PAGE_TYPES,
                                 generate_demo_dataset)
from docseg_mm.demo_data.generator import main

SMALL = dict(num_train=12, num_val=6, num_unlabeled=3, num_per_page_type=2)


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('demo') / 'data')
    out = generate_demo_dataset(root, workers=2, **SMALL)
    return out


def _load(path):
    with open(path) as f:
        return json.load(f)


def _tree(root):
    files = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = osp.join(d, n)
            with open(p, 'rb') as f:
                files[osp.relpath(p, root)] = f.read()
    return files


def test_folder_layout(dataset):
    root = dataset['root']
    assert dataset['reused'] is False
    assert dataset['train_json'] == osp.join(root, 'COCO', 'train.json')
    assert dataset['val_json'] == osp.join(root, 'COCO', 'val.json')
    assert sorted(os.listdir(dataset['png_dir'])) == sorted(
        [f'train_{i:05d}.png'
         for i in range(12)] + [f'val_{i:05d}.png' for i in range(6)])
    assert len(os.listdir(dataset['unlabeled_dir'])) == 3
    assert sorted(os.listdir(dataset['page_types_dir'])) == sorted(PAGE_TYPES)
    for t in PAGE_TYPES:
        assert len(os.listdir(osp.join(dataset['page_types_dir'], t))) == 2
    meta = _load(dataset['meta_file'])
    assert meta['format_version'] == FORMAT_VERSION
    assert meta['params']['num_train'] == 12
    assert dataset['num_images'] == dict(
        train=12, val=6, unlabeled=3, page_types=10)


def test_coco_content(dataset):
    for split, n in (('train', 12), ('val', 6)):
        coco = COCO(dataset[f'{split}_json'])
        assert len(coco.getImgIds()) == n
        cats = coco.loadCats(coco.getCatIds())
        assert [c['name'] for c in cats] == list(DOCLAYNET_CLASSES)
        assert [c['id'] for c in cats] == list(range(1, 12))
        for img in coco.loadImgs(coco.getImgIds()):
            assert set(img) >= {
                'id', 'file_name', 'width', 'height', 'doc_category',
                'collection', 'doc_name', 'page_no', 'precedence'
            }
            assert img['collection'] == 'docseg_mm_demo'
            assert img['doc_category'] in PAGE_TYPES
            png = cv2.imread(osp.join(dataset['png_dir'], img['file_name']))
            assert png.shape == (img['height'], img['width'], 3)
            anns = coco.loadAnns(coco.getAnnIds(imgIds=img['id']))
            assert anns
            for a in anns:
                assert 1 <= a['category_id'] <= 11
                assert a['iscrowd'] == 0 and a['area'] > 0
                assert a['precedence'] in (0, 1, 2)
                x, y, w, h = a['bbox']
                assert w > 0 and h > 0
                assert x >= -0.5 and y >= -0.5
                assert x + w <= img['width'] + 0.5
                assert y + h <= img['height'] + 0.5
                poly = np.asarray(a['segmentation'][0]).reshape(-1, 2)
                assert poly[:, 0].min() >= x - 1e-6
                assert poly[:, 0].max() <= x + w + 1e-6
                assert poly[:, 1].min() >= y - 1e-6
                assert poly[:, 1].max() <= y + h + 1e-6
                assert a['area'] <= w * h + 1e-3
                # the mask is usable by mmdet
                assert coco.annToMask(a).sum() > 0
        ids = [a['id'] for a in coco.dataset['annotations']]
        assert len(set(ids)) == len(ids)


def test_train_quirks_val_clean(dataset):
    W, H = 448, 576
    train = _load(dataset['train_json'])
    val = _load(dataset['val_json'])
    # duplicates with precedence != 0 are copies of precedence-0 boxes
    dups = [a for a in train['annotations'] if a['precedence'] != 0]
    assert {a['precedence'] for a in dups} == {1, 2}
    originals = {(a['image_id'], tuple(a['bbox']), a['category_id'])
                 for a in train['annotations'] if a['precedence'] == 0}
    for a in dups:
        assert (a['image_id'], tuple(a['bbox']), a['category_id']) in originals
    # a few boxes reach slightly past the page edge
    neg = [a for a in train['annotations'] if min(a['bbox'][:2]) < 0]
    assert neg and all(min(a['bbox'][:2]) >= -0.5 for a in neg)
    # val is clean
    assert all(a['precedence'] == 0 for a in val['annotations'])
    for a in val['annotations']:
        x, y, w, h = a['bbox']
        assert x >= 0 and y >= 0 and x + w <= W and y + h <= H


def test_deterministic_across_workers(dataset, tmp_path):
    other = generate_demo_dataset(str(tmp_path / 'serial'), workers=1, **SMALL)
    a, b = _tree(dataset['root']), _tree(other['root'])
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == b[k], k
    # and a different seed gives different pages
    diff = generate_demo_dataset(
        str(tmp_path / 'seed1'),
        seed=1,
        workers=1,
        **dict(SMALL, num_val=1, num_unlabeled=0, num_per_page_type=0))
    c = _tree(diff['root'])
    assert c['COCO/train.json'] != a['COCO/train.json']
    assert c['PNG/train_00000.png'] != a['PNG/train_00000.png']


def test_idempotent(dataset):
    before = {
        p: os.stat(osp.join(dataset['png_dir'], p)).st_mtime_ns
        for p in os.listdir(dataset['png_dir'])
    }
    json_mtime = os.stat(dataset['train_json']).st_mtime_ns
    again = generate_demo_dataset(dataset['root'], workers=2, **SMALL)
    assert again['reused'] is True
    assert again['seconds'] < 0.5
    assert os.stat(dataset['train_json']).st_mtime_ns == json_mtime
    after = {
        p: os.stat(osp.join(dataset['png_dir'], p)).st_mtime_ns
        for p in os.listdir(dataset['png_dir'])
    }
    assert before == after


def test_regenerates_on_new_params_or_missing_files(tmp_path):
    root = str(tmp_path / 'd')
    params = dict(
        num_train=2,
        num_val=2,
        num_unlabeled=1,
        num_per_page_type=0,
        workers=1)
    generate_demo_dataset(root, **params)
    # other parameters: re-rendered, no stale files left
    out = generate_demo_dataset(root, **dict(params, num_val=1))
    assert out['reused'] is False
    assert not osp.exists(osp.join(root, 'PNG', 'val_00001.png'))
    assert len(_load(out['val_json'])['images']) == 1
    # a missing page makes the set incomplete
    os.remove(osp.join(root, 'unlabeled', 'unlabeled_00000.png'))
    out = generate_demo_dataset(root, **dict(params, num_val=1))
    assert out['reused'] is False
    assert osp.isfile(osp.join(root, 'unlabeled', 'unlabeled_00000.png'))
    # overwrite forces a re-render
    assert generate_demo_dataset(
        root, overwrite=True, **dict(params, num_val=1))['reused'] is False


def test_refuses_foreign_folder(tmp_path):
    root = tmp_path / 'real'
    (root / 'PNG').mkdir(parents=True)
    (root / 'PNG' / 'page.png').write_bytes(b'not ours')
    with pytest.raises(FileExistsError):
        generate_demo_dataset(
            str(root),
            num_train=1,
            num_val=1,
            num_unlabeled=0,
            num_per_page_type=0,
            workers=1)
    assert (root / 'PNG' / 'page.png').exists()


def test_cli(tmp_path, capsys):
    out = main([
        '--out',
        str(tmp_path / 'cli'), '--num-train', '2', '--num-val', '1',
        '--num-unlabeled', '1', '--num-per-page-type', '1', '--page-size',
        '300', '400', '--workers', '1', '--seed', '3'
    ])
    text = capsys.readouterr().out
    assert 'train.json' in text and 'wrote' in text
    img = cv2.imread(osp.join(out['png_dir'], 'train_00000.png'))
    assert img.shape == (400, 300, 3)
    main([
        '--out',
        str(tmp_path / 'cli'), '--num-train', '2', '--num-val', '1',
        '--num-unlabeled', '1', '--num-per-page-type', '1', '--page-size',
        '300', '400', '--seed', '3'
    ])
    assert 'reused' in capsys.readouterr().out
