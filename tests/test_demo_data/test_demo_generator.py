# Copyright (c) docseg_mm contributors. All rights reserved.
"""The demo dataset writer: layout, COCO content, semantic masks, word
crops, determinism (bytes of two runs), idempotence, CLI."""
import hashlib
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from docseg_mm.demo_data import (DOCLAYNET_CLASSES, FORMAT_VERSION, PAGE_TYPES,
                                 generate_demo_dataset)
from docseg_mm.demo_data.cli import main

SMALL = dict(num_train=4, num_val=2, num_unlabeled=1, num_per_page_type=1,
             words_per_page=3, dpi=72)


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('demo') / 'data')
    return generate_demo_dataset(root, workers=1, **SMALL)


def _load(path):
    with open(path) as f:
        return json.load(f)


def _tree_hashes(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = osp.join(d, n)
            with open(p, 'rb') as f:
                out[osp.relpath(p, root)] = hashlib.sha256(
                    f.read()).hexdigest()
    return out


def test_folder_layout(dataset):
    root = dataset['root']
    assert dataset['reused'] is False
    assert sorted(os.listdir(dataset['png_dir'])) == sorted(
        [f'train_{i:05d}.png' for i in range(4)] +
        [f'val_{i:05d}.png' for i in range(2)])
    assert len(os.listdir(dataset['unlabeled_dir'])) == 1
    assert sorted(os.listdir(dataset['page_types_dir'])) == sorted(PAGE_TYPES)
    for t in PAGE_TYPES:
        assert os.listdir(osp.join(dataset['page_types_dir'], t)) == \
            [f'{t}_0000.png']
    # documents of 4 pages
    assert sorted(os.listdir(dataset['pdf_dir'])) == [
        'train_doc0000.pdf', 'val_doc0000.pdf']
    meta = _load(dataset['meta_file'])
    assert meta['format_version'] == FORMAT_VERSION
    assert meta['params']['num_train'] == 4
    assert dataset['num_images'] == dict(train=4, val=2, unlabeled=1,
                                         page_types=5)
    for s, n in (('train', 4), ('val', 2)):
        with open(osp.join(root, 'SEM', f'{s}.txt')) as f:
            assert f.read().split() == [f'{s}_{i:05d}' for i in range(n)]


def test_coco_content(dataset):
    for split, n in (('train', 4), ('val', 2)):
        coco = COCO(dataset[f'{split}_json'])
        assert len(coco.getImgIds()) == n
        cats = coco.loadCats(coco.getCatIds())
        assert [c['name'] for c in cats] == list(DOCLAYNET_CLASSES)
        assert [c['id'] for c in cats] == list(range(1, 12))
        for img in coco.loadImgs(coco.getImgIds()):
            assert img['doc_category'] in PAGE_TYPES
            png = cv2.imread(osp.join(dataset['png_dir'], img['file_name']))
            assert png.shape == (img['height'], img['width'], 3)
            anns = coco.loadAnns(coco.getAnnIds(imgIds=img['id']))
            assert anns
            for a in anns:
                x, y, w, h = a['bbox']
                assert w > 0 and h > 0 and a['area'] > 0
                assert x >= -0.5 and y >= -0.5
                assert x + w <= img['width'] + 0.5
                assert y + h <= img['height'] + 0.5
                assert a['area'] == pytest.approx(w * h, rel=1e-3)
                assert coco.annToMask(a).sum() > 0
        ids = [a['id'] for a in coco.dataset['annotations']]
        assert len(set(ids)) == len(ids)
    train = _load(dataset['train_json'])
    # DocLayNet quirk: redundant copies of a precedence-0 box (page 0)
    dups = [a for a in train['annotations'] if a['precedence'] != 0]
    assert {a['precedence'] for a in dups} == {1, 2}
    for a in dups:
        assert any(b['precedence'] == 0 and b['bbox'] == a['bbox'] and
                   b['image_id'] == a['image_id'] for b in
                   train['annotations'])
    assert all(a['precedence'] == 0
               for a in _load(dataset['val_json'])['annotations'])


def test_semantic_masks_agree_with_boxes(dataset):
    root = dataset['root']
    for split in ('train', 'val'):
        coco = _load(dataset[f'{split}_json'])
        tags = _load(osp.join(root, 'SEM', f'{split}_tags.json'))
        assert tags['classes'] == list(DOCLAYNET_CLASSES)
        for img in coco['images']:
            sem = cv2.imread(osp.join(root, 'SEM', img['file_name']),
                             cv2.IMREAD_UNCHANGED)
            assert sem.shape == (img['height'], img['width'])
            anns = [a for a in coco['annotations']
                    if a['image_id'] == img['id'] and a['precedence'] == 0]
            inside = np.zeros(sem.shape, bool)
            for a in anns:
                x, y, w, h = (int(round(v)) for v in a['bbox'])
                inside[max(0, y):y + h, max(0, x):x + w] = True
                # the interior of a box that no other box touches is its class
                others = [b for b in anns if b is not a]
                if not any(_overlap(a['bbox'], b['bbox']) for b in others):
                    core = sem[y + 2:y + h - 2, x + 2:x + w - 2]
                    assert (core == a['category_id']).all(), a
            # background outside all boxes (the outline band may reach 1 px)
            grown = cv2.dilate(inside.astype(np.uint8), np.ones((3, 3)))
            assert (sem[grown == 0] == 0).all()
            names = {DOCLAYNET_CLASSES[a['category_id'] - 1] for a in anns}
            assert set(tags['tags'][img['file_name']]) == names


def _overlap(a, b):
    return (min(a[0] + a[2], b[0] + b[2]) > max(a[0], b[0]) - 3 and
            min(a[1] + a[3], b[1] + b[3]) > max(a[1], b[1]) - 3)


def test_mmseg_reads_a_split(dataset):
    from mmseg.datasets import BaseSegDataset
    ds = BaseSegDataset(data_root=dataset['root'], ann_file='SEM/val.txt',
                        data_prefix=dict(img_path='PNG', seg_map_path='SEM'),
                        img_suffix='.png', seg_map_suffix='.png',
                        metainfo=dict(classes=('background', ) +
                                      DOCLAYNET_CLASSES),
                        lazy_init=False)
    assert len(ds) == 2
    for i in range(2):
        info = ds.get_data_info(i)
        assert osp.isfile(info['img_path']) and osp.isfile(
            info['seg_map_path'])


def test_word_crops(dataset):
    words = dataset['words_dir']
    assert dataset['num_words']['train'] > 10
    for split in ('train', 'val'):
        with open(osp.join(words, f'{split}.txt'), encoding='utf-8') as f:
            lines = f.read().splitlines()
        assert len(lines) == dataset['num_words'][split]
        for line in lines:
            rel, text = line.split('\t')
            assert rel.startswith(split + '/') and text.strip() == text
            assert any(c.isalnum() for c in text)
            img = cv2.imread(osp.join(words, rel))
            assert img is not None and img.shape[0] >= 4
            # dark ink on lighter paper
            assert img.min() < 0.6 * np.median(img)
    assert len(os.listdir(osp.join(words, 'unlabeled'))) == \
        dataset['num_words']['unlabeled']


def test_word_transcriptions_are_in_the_pdf(dataset):
    """Every labelled crop's transcription is a word of its page in the
    PDF's text layer (read by PDFium, independent of the composer)."""
    import pypdfium2 as pdfium
    text_of = {}
    for name in os.listdir(dataset['pdf_dir']):
        split, doc = name[:-4].split('_doc')
        pdf = pdfium.PdfDocument(osp.join(dataset['pdf_dir'], name))
        for i in range(len(pdf)):
            tp = pdf[i].get_textpage()
            index = int(doc) * 4 + i
            # PDFium marks a line-end hyphen with U+FFFE and joins the word
            text_of[f'{split}_{index:05d}'] = set(
                tp.get_text_range().replace('\ufffe', '- ').split())
            tp.close()
        pdf.close()
    n = 0
    for split in ('train', 'val'):
        with open(osp.join(dataset['words_dir'], f'{split}.txt'),
                  encoding='utf-8') as f:
            for line in f.read().splitlines():
                rel, text = line.split('\t')
                stem = osp.basename(rel).rsplit('_', 1)[0]
                assert text in text_of[stem], (rel, text)
                n += 1
    assert n == dataset['num_words']['train'] + dataset['num_words']['val']


def test_deterministic_bytes_across_workers(dataset, tmp_path):
    # same seed, two worker processes: every file has the same bytes
    other = generate_demo_dataset(str(tmp_path / 'two'), workers=2, **SMALL)
    a, b = _tree_hashes(dataset['root']), _tree_hashes(other['root'])
    assert a.keys() == b.keys() and len(a) > 40
    assert [k for k in a if a[k] != b[k]] == []


def test_idempotent_and_regenerates(dataset, tmp_path):
    before = os.stat(dataset['train_json']).st_mtime_ns
    again = generate_demo_dataset(dataset['root'], workers=2, **SMALL)
    assert again['reused'] is True and again['seconds'] < 0.5
    assert again['num_words'] == dataset['num_words']
    assert os.stat(dataset['train_json']).st_mtime_ns == before
    root = str(tmp_path / 'd')
    params = dict(SMALL, num_train=1, num_val=1, num_unlabeled=0,
                  num_per_page_type=0, workers=1)
    generate_demo_dataset(root, **params)
    os.remove(osp.join(root, 'SEM', 'val_00000.png'))
    assert generate_demo_dataset(root, **params)['reused'] is False
    assert osp.isfile(osp.join(root, 'SEM', 'val_00000.png'))
    out = generate_demo_dataset(root, **dict(params, num_val=0))
    assert out['reused'] is False
    assert not osp.exists(osp.join(root, 'PNG', 'val_00000.png'))


def test_refuses_foreign_folder(tmp_path):
    root = tmp_path / 'real'
    (root / 'PNG').mkdir(parents=True)
    (root / 'PNG' / 'page.png').write_bytes(b'not ours')
    with pytest.raises(FileExistsError):
        generate_demo_dataset(str(root), num_train=1, num_val=1,
                              num_unlabeled=0, num_per_page_type=0)
    assert (root / 'PNG' / 'page.png').exists()


def test_cli(tmp_path, capsys):
    args = ['--out', str(tmp_path / 'cli'), '--num-train', '1', '--num-val',
            '1', '--num-unlabeled', '0', '--num-per-page-type', '0',
            '--dpi', '50', '--words-per-page', '1', '--no-pdf', '--seed',
            '3']
    out = main(args)
    assert 'wrote' in capsys.readouterr().out
    coco = _load(out['train_json'])
    img = cv2.imread(osp.join(out['png_dir'], 'train_00000.png'))
    assert img.shape[:2] == (coco['images'][0]['height'],
                             coco['images'][0]['width'])
    assert max(img.shape[:2]) <= 1008 * 50 / 72 + 1  # legal at 50 dpi
    assert os.listdir(out['pdf_dir']) == []
    main(args)
    assert 'reused' in capsys.readouterr().out
