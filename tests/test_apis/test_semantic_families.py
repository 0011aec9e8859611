# Copyright (c) docseg_mm contributors. All rights reserved.
"""SLRNet and AlignSeg through the inferencer (random demo-sized models).

The inferencer's label maps are checked against the model run by hand on
the same page: the test pipeline written out here and, for SLRNet's dense
CRF, the page read back from an image file (the path the CRF took before
the inferencer handed it the page in memory).
"""
import json
import os.path as osp

import cv2
import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.dataset import pseudo_collate

from docseg_mm.apis import DocSegInferencer
from .model_helpers import REPO, write_random_checkpoint

SLRNET = osp.join(REPO, 'configs', 'slrnet',
                  'slrnet_r18-d16_1xb4-300i_demo-doc-tags.py')
ALIGNSEG = osp.join(
    REPO, 'configs', 'alignseg',
    'alignseg_vit-t16-selfdocseg-pre_1xb16-200i_demo-doc-pages.py')


def textured_page(h=200, w=150, seed=0):
    rng = np.random.RandomState(seed)
    page = rng.randint(200, 256, (h, w, 3)).astype(np.uint8)
    page[30:90, 20:130] = rng.randint(0, 90, (60, 110, 3))
    page[120:140, 15:100] = 0
    return page


def by_hand(model, transforms, img_path):
    """``img_path`` through ``transforms`` and ``model.test_step``."""
    img = cv2.imread(img_path)
    item = Compose(transforms)(dict(img=img, img_path=img_path,
                                    img_shape=img.shape[:2],
                                    ori_shape=img.shape[:2]))
    with torch.no_grad():
        return model.test_step(pseudo_collate([item]))[0]


def read_sem(out_dir, name):
    return cv2.imread(osp.join(out_dir, 'sem', name + '.png'),
                      cv2.IMREAD_UNCHANGED)


def test_slrnet_with_dense_crf_on_arrays_and_pdf_pages(tmp_path, test_pdf):
    # seed 2: a random model whose maps are not all background
    ckpt = write_random_checkpoint(SLRNET, str(tmp_path / 'slrnet.pth'),
                                   seed=2)
    # the demo config has crf=None
    crf = dict(_delete_=True, iters=3, gauss_sxy=3, gauss_compat=3,
               bi_sxy=80, bi_srgb=13, bi_compat=10)
    # every class may win (no image-level selection), so regions appear
    infer = DocSegInferencer(
        SLRNET, ckpt, device='cpu', show_progress=False,
        cfg_options={'model.test_cfg.crf': crf,
                     'model.test_cfg.class_select': 'none',
                     'model.test_cfg.bg_pow': 1})
    assert infer.family.name == 'semantic'
    assert infer.family.needs_page_image()
    page = textured_page()
    out_dir = str(tmp_path / 'out')
    out = infer([page, test_pdf], batch_size=2, score_thr=0.0, dpi=30,
                pages='1', out_dir=out_dir, no_save_vis=True)
    assert out['num_pages'] == 2 and not out['errors']
    # the reference reads the pages from files: the array written as PNG,
    # the PDF page as the inferencer rendered it (pages/<name>.png)
    array_png = str(tmp_path / 'array.png')
    cv2.imwrite(array_png, page)
    pdf_png = osp.join(out_dir, 'pages', 'three_pages_p0001.png')
    hand = [dict(type='mmseg.Resize', scale=(128, 160), keep_ratio=True),
            dict(type='PackWSSSInputs')]
    classes = infer.family.classes
    assert classes[0] == 'background' and len(classes) == 12
    for name, path in (('array_00000', array_png),
                       ('three_pages_p0001', pdf_png)):
        ref = by_hand(infer.model, hand, path).pred_sem_seg.data[0].numpy()
        sem = read_sem(out_dir, name)
        np.testing.assert_array_equal(sem, ref)
        with open(osp.join(out_dir, 'preds', name + '.json')) as f:
            regions = json.load(f)['regions']
        # (the random model finds no region on the near-white PDF page)
        assert regions or name != 'array_00000'
        for r in regions:
            # a region is a component of its label, never the background
            assert r['label'] > 0 and r['category'] == classes[r['label']]
            x0, y0, x1, y1 = (int(v) for v in r['bbox'])
            inside = sem[y0:y1, x0:x1] == r['label']
            assert inside.sum() >= r['area'] and r['area'] > 0


def test_alignseg_labels_are_clusters(tmp_path):
    ckpt = write_random_checkpoint(ALIGNSEG, str(tmp_path / 'alignseg.pth'),
                                   **{'model.backbone.init_cfg': None})
    infer = DocSegInferencer(ALIGNSEG, ckpt, device='cpu',
                             show_progress=False)
    # the config's dataset has the DocLayNet classes; the model predicts
    # cluster ids 0..4 (num_queries), named as clusters
    assert len(infer.model.dataset_meta['classes']) == 12
    names = [f'cluster {k}' for k in range(5)]
    assert infer.family.classes == names
    page = textured_page(seed=1)
    out_dir = str(tmp_path / 'out')
    out = infer(page, score_thr=0.0, out_dir=out_dir)
    pred = out['predictions'][0]
    assert pred['categories'] == names
    png = str(tmp_path / 'page.png')
    cv2.imwrite(png, page)
    hand = [dict(type='Resize', scale=(224, 288), keep_ratio=False,
                 interpolation='area'),
            dict(type='mmseg.PackSegInputs')]
    ref = by_hand(infer.model, hand, png).pred_sem_seg.data[0].numpy()
    sem = read_sem(out_dir, 'array_00000')
    np.testing.assert_array_equal(sem, ref)
    assert set(np.unique(sem)) <= set(range(5))
    labels = {r['label'] for r in pred['regions']}
    assert labels and labels <= set(np.unique(ref).tolist())
    for r in pred['regions']:
        assert r['category'] == f"cluster {r['label']}"
    # the cluster visualiser of the config draws the picture
    assert osp.isfile(osp.join(out_dir, 'vis', 'array_00000.jpg'))
    assert type(infer.visualizer).__name__ == 'ClusterSegLocalVisualizer'
