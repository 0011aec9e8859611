# Copyright (c) docseg_mm contributors. All rights reserved.
import mmcv
import numpy as np
import pytest
import torch

from docseg_mm.apis import DocSegInferencer, inference_model, init_model
from docseg_mm.apis.model_families import Family
from .model_helpers import DEMO_DIG, write_random_checkpoint, \
    write_tiny_docsam


def pages_of_two_sizes(test_pdf):
    rng = np.random.RandomState(0)
    a = np.full((300, 220, 3), 255, np.uint8)
    a[40:90, 30:190] = rng.randint(0, 80, (50, 160, 3))
    b = np.full((200, 300, 3), 240, np.uint8)
    b[100:150, 20:120] = 0
    # PDF pages at 40 dpi: A4 (331 x 468), rotated letter, A5 crop box
    return [test_pdf, a, b, a.copy()]


def test_batch_size_1_and_4_and_the_loop_agree(mask_rcnn, test_pdf):
    config, ckpt = mask_rcnn
    infer = DocSegInferencer(config, ckpt, device='cpu',
                             show_progress=False)
    inputs = pages_of_two_sizes(test_pdf)
    one = infer(inputs, batch_size=1, score_thr=0.05, dpi=40)
    four = infer(inputs, batch_size=4, score_thr=0.05, dpi=40)
    assert one['num_pages'] == four['num_pages'] == 6
    assert [p['name'] for p in four['predictions']] == \
        [p['name'] for p in one['predictions']]
    assert sum(len(p['regions']) for p in one['predictions']) > 0
    assert one['predictions'] == four['predictions']
    # mmdet-style per-image loop of init_model / inference_model
    model = init_model(config, ckpt, device='cpu')
    fam = Family(model)
    for arr, pred in zip(inputs[1:], four['predictions'][3:]):
        sample = inference_model(model, arr)
        loop = fam.to_prediction(sample, None, 0.05)['regions']
        assert loop == pred['regions']


def test_classes_filter_fixed_class_models(mask_rcnn):
    config, ckpt = mask_rcnn
    infer = DocSegInferencer(config, ckpt, device='cpu',
                             show_progress=False)
    # a textured page: on a flat page with periodic stripes the random
    # model scores shifted boxes exactly alike, and greedy NMS keeps either
    # of two tied boxes depending on which candidates it was given
    rng = np.random.RandomState(0)
    page = rng.randint(200, 256, (256, 200, 3)).astype(np.uint8)
    for y in range(30, 200, 12):
        page[y:y + 3, 20:20 + rng.randint(60, 160)] = rng.randint(0, 60)
    everything = infer(page, score_thr=0.0)['predictions'][0]['regions']
    some = infer(page, score_thr=0.0, classes=['Text', 'Table'])
    regions = some['predictions'][0]['regions']
    expected = [r for r in everything if r['category'] in ('Text', 'Table')]
    assert len(everything) > len(regions) > 0
    assert regions == expected
    with pytest.raises(ValueError, match='not predicted by this model'):
        infer(page, classes=['Text', 'Spaceship'])
    # score_thr is also handed to the detector while it predicts (fewer
    # masks to compute): the kept regions are the same, the config is back
    scores = sorted({r['score'] for r in everything})
    mid = len(scores) // 2
    thr = (scores[mid - 1] + scores[mid]) / 2  # no score equals it
    assert thr > 0.05  # above the config's rcnn.score_thr
    high = infer(page, score_thr=thr)['predictions'][0]['regions']
    assert high == [r for r in everything if r['score'] >= thr]
    assert 0 < len(high) < len(everything)
    assert infer.model.roi_head.test_cfg.score_thr == 0.05


def test_docsam_two_class_lists_on_the_same_page(tmp_path, test_pdf):
    names = ['Text', 'Table', 'Picture', 'Title', '_background_']
    config, ckpt, emb = write_tiny_docsam(str(tmp_path), names)
    infer = DocSegInferencer(config, ckpt, device='cpu',
                             show_progress=False, class_embeddings=emb)
    assert infer.family.name == 'docsam'
    kw = dict(score_thr=0.0, dpi=40, pages='1')

    def run(classes, out_dir=''):
        out = infer(test_pdf, classes=classes, out_dir=out_dir, **kw)
        return out['predictions'][0]

    a = run(['Text', 'Table', 'Picture'], str(tmp_path / 'a'))
    b = run(['Picture', 'Text', 'Table'])
    c = run(['Title'], str(tmp_path / 'c'))
    assert a['categories'] == ['Text', 'Table', 'Picture']
    assert c['categories'] == ['Title']
    assert len(a['regions']) > 0 and len(c['regions']) > 0
    assert {r['category'] for r in c['regions']} == {'Title'}
    assert {r['category'] for r in a['regions']} <= {'Text', 'Table',
                                                     'Picture'}
    # DocSAM's class scores are dot products with one query per name and
    # the semantic queries carry no position: reordering the names gives
    # the same regions under the same names
    def key(regions):
        return sorted((r['category'], round(r['score'], 4),
                       tuple(round(v, 1) for v in r['bbox']))
                      for r in regions)
    assert key(a['regions']) == key(b['regions'])
    # a single name changes the scores (softmax over fewer classes)
    assert key(a['regions']) != key(c['regions'])
    # the COCO file of each run has that run's categories
    import json
    for run_dir, cats in (('a', ['Text', 'Table', 'Picture']),
                          ('c', ['Title'])):
        with open(tmp_path / run_dir / 'results.coco.json') as f:
            coco = json.load(f)
        assert [c_['name'] for c_ in coco['categories']] == cats
    with pytest.raises(KeyError, match='not in the embeddings file'):
        run(['Spaceship'])


def test_text_recogniser(tmp_path):
    ckpt = write_random_checkpoint(
        DEMO_DIG, str(tmp_path / 'dig.pth'),
        **{'model.backbone.init_cfg': None})
    infer = DocSegInferencer(DEMO_DIG, ckpt, device='cpu',
                             show_progress=False)
    assert infer.family.name == 'text'
    rng = np.random.RandomState(1)
    word = rng.randint(0, 255, (40, 150, 3)).astype(np.uint8)
    out = infer(word, out_dir=str(tmp_path / 'out'))
    pred = out['predictions'][0]
    # the config's test pipeline by hand: bicubic resize to 128 x 32, RGB,
    # (x - 127.5) / 127.5
    img = mmcv.imresize(word, (128, 32), interpolation='bicubic')
    x = torch.from_numpy(img[..., ::-1].copy()).permute(2, 0, 1).float()
    x = ((x - 127.5) / 127.5)[None]
    model = infer.model
    from docseg_mm.structures import TextRecogDataSample
    with torch.no_grad():
        ref = model.predict(x, [TextRecogDataSample()])[0].pred_text
    assert pred['text'] == ref.item
    assert pred['score'] == pytest.approx(float(np.mean(ref.score)))
    with open(tmp_path / 'out' / 'texts.tsv') as f:
        line = f.read().strip().split('\t')
    assert line[0] == 'pages/array_00000.png' and line[1] == ref.item
