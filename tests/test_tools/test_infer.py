# Copyright (c) docseg_mm contributors. All rights reserved.
"""``tools/infer.py`` end to end: PDFs, folders, bad inputs."""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

from ..test_apis.ink_segmentor import write_ink_segmentor
from ..test_apis.model_helpers import DEMO_MASK_RCNN, write_random_checkpoint
from ..test_apis.pdf_helpers import (BLOCK, BLOCK_LINES, RECTS,
                                     make_encrypted_pdf, make_test_pdf,
                                     make_zero_size_pdf)
from .conftest import REPO, tool_env

INFER = osp.join(REPO, 'tools', 'infer.py')


def infer(args, expect_rc=0):
    env = tool_env()
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    proc = subprocess.run([sys.executable, INFER] + args + ['--no-progress'],
                          cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == expect_rc, \
        f'exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}'
    return proc.stdout


def load(path):
    with open(path) as f:
        return json.load(f)


def pixel_to_pdf(page, x, y, w, h):
    """The test PDF's pages, mapped by hand (see pdf_helpers)."""
    if page == 1:  # A4, no rotation, origin bottom-left
        return x * 595.2756 / w, 841.8898 - y * 841.8898 / h
    if page == 2:  # letter, user space 792 x 612, shown turned clockwise
        return y * 792. / h, x * 612. / w
    return 20. + x * 380. / w, 560. - y * 530. / h  # crop box 20 30 400 560


def test_three_page_pdf_with_the_demo_model(tmp_path):
    pdf = str(tmp_path / 'three_pages.pdf')
    make_test_pdf(pdf)
    ckpt = write_random_checkpoint(DEMO_MASK_RCNN,
                                   str(tmp_path / 'maskrcnn.pth'))
    out = tmp_path / 'out'
    stdout = infer([pdf, '--config', DEMO_MASK_RCNN, '--checkpoint', ckpt,
                    '--out-dir', str(out), '--dpi', '50', '--batch-size',
                    '4', '--score-thr', '0.05', '--device', 'cpu'])
    assert '3 page(s) predicted' in stdout and '0 error(s)' in stdout
    coco = load(out / 'results.coco.json')
    assert [(im['page'], im['file_name']) for im in coco['images']] == [
        (p, f'pages/three_pages_p000{p}.png') for p in (1, 2, 3)]
    assert coco['categories'][0]['name'] == 'Caption'
    assert len(coco['categories']) == 11
    num = 0
    for im in coco['images']:
        page = im['page']
        assert (out / im['file_name']).is_file()
        assert (out / 'vis' / f'three_pages_p000{page}.jpg').is_file()
        pred = load(out / 'preds' / f'three_pages_p000{page}.json')
        w, h = pred['width'], pred['height']
        assert (w, h) == (im['width'], im['height'])
        assert pred['pdf']['page'] == page
        assert pred['text_layer'] == (page == 1)
        for region in pred['regions']:
            num += 1
            x0, y0, x1, y1 = region['bbox']
            corners = np.array([pixel_to_pdf(page, x, y, w, h)
                                for x in (x0, x1) for y in (y0, y1)])
            expected = [*corners.min(0), *corners.max(0)]
            np.testing.assert_allclose(region['pdf_bbox'], expected,
                                       atol=0.01)
            assert ('text' in region) == (page == 1)
    assert num == len(coco['annotations']) > 0


def write_png(path, box=None, size=(120, 90)):
    img = np.full((size[1], size[0], 3), 255, np.uint8)
    if box is not None:
        x0, y0, x1, y1 = box
        img[y0:y1, x0:x1] = 0
    cv2.imwrite(str(path), img)


def test_mixed_inputs_bad_pages_and_pdf_coordinates(tmp_path):
    cfg, ckpt = write_ink_segmentor(str(tmp_path))
    pdf = str(tmp_path / 'three_pages.pdf')
    make_test_pdf(pdf)
    folder = tmp_path / 'scans'
    (folder / 'deeper').mkdir(parents=True)
    write_png(folder / 'p1.png', (10, 20, 60, 50))
    write_png(folder / 'deeper' / 'p2.png', (30, 30, 100, 80))
    write_png(tmp_path / 'single.png', (5, 5, 25, 45))
    (tmp_path / 'corrupt.png').write_bytes(b'\x89PNG\r\n\x1a\n garbage')
    make_encrypted_pdf(str(tmp_path / 'locked.pdf'))
    make_zero_size_pdf(str(tmp_path / 'zero.pdf'))
    out = tmp_path / 'out'
    stdout = infer([
        pdf, str(folder), str(tmp_path / 'single.png'),
        str(tmp_path / 'corrupt.png'), str(tmp_path / 'locked.pdf'),
        str(tmp_path / 'zero.pdf'), str(tmp_path / 'missing.png'),
        '--config', cfg, '--checkpoint', ckpt, '--out-dir', str(out),
        '--dpi', '100', '--batch-size', '2', '--score-thr', '0.5', '--no-vis'
    ], expect_rc=2)
    # 3 PDF pages + 2 in the folder + single + the good page of zero.pdf
    assert '7 page(s) predicted' in stdout and '4 error(s)' in stdout
    errors = {(osp.basename(e['path']), e['page']): e['message']
              for e in load(out / 'errors.json')}
    assert set(errors) == {('corrupt.png', None), ('locked.pdf', None),
                           ('zero.pdf', 1), ('missing.png', None)}
    assert 'cannot decode image' in errors[('corrupt.png', None)]
    assert 'encrypted PDF' in errors[('locked.pdf', None)]
    assert 'zero-size page' in errors[('zero.pdf', 1)]
    assert load(out / 'summary.json')['num_errors'] == 4
    coco = load(out / 'results.coco.json')
    assert [im['file_name'] for im in coco['images']] == [
        'pages/three_pages_p0001.png', 'pages/three_pages_p0002.png',
        'pages/three_pages_p0003.png', 'p1.png',
        osp.join('deeper', 'p2.png'), 'single.png', 'pages/zero_p0002.png']
    assert [c['name'] for c in coco['categories']] == ['ink']

    def regions(name):
        return load(out / 'preds' / f'{name}.json')['regions']

    # images: the drawn square comes back where it was drawn (pixels)
    for name, box in (('p1', (10, 20, 60, 50)),
                      ('deeper__p2', (30, 30, 100, 80)),
                      ('single', (5, 5, 25, 45))):
        assert [r['bbox'] for r in regions(name)] == [list(map(float, box))]
    # PDF pages: drawn at known PDF coordinates, back at them within one
    # rendered pixel (72 / 100 pt); the grey block carries its own text
    tol = 72. / 100 + 1e-3
    page1 = regions('three_pages_p0001')
    block = [r for r in page1 if np.allclose(r['pdf_bbox'], BLOCK, atol=tol)]
    assert len(block) == 1, [r['pdf_bbox'] for r in page1]
    assert block[0]['text'] == '\n'.join(BLOCK_LINES)
    for page in (1, 2, 3):
        boxes = [r['pdf_bbox'] for r in regions(f'three_pages_p000{page}')]
        hits = [b for b in boxes
                if np.allclose(b, RECTS[page], atol=tol)]
        assert len(hits) == 1, (page, boxes)
    sem = cv2.imread(str(out / 'sem' / 'single.png'), cv2.IMREAD_UNCHANGED)
    assert sem.shape == (90, 120) and sem[10, 10] == 1 and sem[0, 0] == 0


def test_urls_are_refused_before_loading_anything():
    from docseg_mm.apis import InputError, infer_documents
    with pytest.raises(InputError, match='URLs are not supported'):
        infer_documents(['https://example.org/paper.pdf'],
                        'no/such/config.py', 'no/such/ckpt.pth', 'out')
