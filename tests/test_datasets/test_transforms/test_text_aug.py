# Copyright (c) docseg_mm contributors. All rights reserved.
import numpy as np
import pytest
import torch

from docseg_mm.datasets.transforms import (PackTextRecogInputs,
                                           TextDeterioration, TextGeometry,
                                           TextSeqCLRAugment)
from docseg_mm.datasets.transforms import text_seqclr_aug as seqclr


def word_img(h=32, w=100):
    img = np.full((h, w, 3), 220, np.uint8)
    img[8:24, 10:90] = 30  # a dark "word"
    return img


@pytest.mark.parametrize('op', seqclr.SEQCLR_OPS,
                         ids=[f.__name__ for f in seqclr.SEQCLR_OPS])
def test_seqclr_ops_keep_size_and_dtype(op):
    np.random.seed(0)
    out = op(word_img())
    assert out.shape == (32, 100, 3) and out.dtype == np.uint8


def test_seqclr_op_formulas():
    img = word_img()
    np.random.seed(3)
    alpha = np.random.uniform(0.5, 1.0)
    np.random.seed(3)
    out = seqclr.linear_contrast(img)
    assert out[0, 0, 0] == int(np.clip(128 + alpha * (220 - 128), 0, 255))
    np.random.seed(4)
    t = np.random.uniform(32, 128)
    above = np.random.rand() < 0.5
    np.random.seed(4)
    out = seqclr.solarize(img)
    # 220 >= t always, 30 < t always (t in [32, 128])
    assert (out[0, 0, 0], out[10, 20, 0]) == ((35, 30) if above else (220,
                                                                     225))
    # vertical crop keeps the size and only rescales rows
    np.random.seed(5)
    out = seqclr.crop_vertical(img)
    assert out.shape == img.shape and (out[:, 0] == 220).all()


def test_seqclr_augment_applies_between_two_and_five_ops(monkeypatch):
    calls = []
    fakes = [lambda x, i=i: calls.append(i) or x for i in range(10)]
    monkeypatch.setattr(seqclr, 'SEQCLR_OPS', fakes)
    t = TextSeqCLRAugment()
    np.random.seed(0)
    for _ in range(30):
        calls.clear()
        t(dict(img=word_img()))
        assert 2 <= len(calls) <= 5 and len(set(calls)) == len(calls)


def test_geometry_kind_per_sample_or_fixed(monkeypatch):
    from docseg_mm.datasets.transforms import text_abinet_aug as aug
    kinds = []
    monkeypatch.setattr(aug, 'random_rotation',
                        lambda img, d: kinds.append(0) or img)
    monkeypatch.setattr(aug, 'random_affine',
                        lambda img, *a: kinds.append(1) or img)
    monkeypatch.setattr(aug, 'random_perspective',
                        lambda img, d: kinds.append(2) or img)
    per_sample = TextGeometry(prob=1.0)
    for _ in range(30):
        per_sample(dict(img=word_img()))
    assert set(kinds) == {0, 1, 2}
    kinds.clear()
    faithful = TextGeometry(prob=1.0, faithful=True)
    for _ in range(30):
        faithful(dict(img=word_img()))
    assert len(set(kinds)) == 1


def test_real_geometry_and_deterioration_outputs():
    np.random.seed(1)
    for _ in range(10):
        out = TextGeometry(prob=1.0)(dict(img=word_img()))['img']
        assert out.ndim == 3 and out.dtype == np.uint8 and min(
            out.shape[:2]) > 0
        out = TextDeterioration(prob=1.0)(dict(img=word_img()))['img']
        assert out.shape == (32, 100, 3) and out.dtype == np.uint8
    det = TextDeterioration(prob=1.0, faithful=True)
    a = det(dict(img=word_img()))['img'].astype(int)
    b = det(dict(img=word_img()))['img'].astype(int)
    # same noise level and blur every call: the images differ only by noise
    assert abs(a.mean() - b.mean()) < 3


def test_pack_text_recog_inputs():
    out = PackTextRecogInputs()(dict(
        img=word_img(), instances=[dict(text='Word')], img_path='x/1',
        dataset_name='S', ori_shape=(32, 100), img_shape=(32, 100)))
    assert out['inputs'].shape == (3, 32, 100)
    assert out['inputs'].dtype == torch.uint8
    s = out['data_samples']
    assert s.gt_text.item == 'Word' and s.dataset_name == 'S'
    assert s.img_path == 'x/1'
