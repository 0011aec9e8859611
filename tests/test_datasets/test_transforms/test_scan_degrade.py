# Copyright (c) docseg_mm contributors. All rights reserved.
"""RandomScanDegrade: photometric only, each effect as specified."""
import cv2
import numpy as np
import pytest

from docseg_mm.datasets.transforms import RandomScanDegrade


def _page():
    img = np.full((120, 90, 3), 255, np.uint8)
    img[20:30, 10:80] = 0  # a text line
    img[50:52, 10:80] = 0  # a rule
    return img


def _only(**kw):
    base = dict(prob=1.0, paper_prob=0.0, ink_prob=0.0, blur_prob=0.0,
                noise_prob=0.0, jpeg_prob=0.0, seed=0)
    base.update(kw)
    return RandomScanDegrade(**base)


def test_nothing_enabled_is_identity():
    img = _page()
    assert np.array_equal(_only().degrade(img.copy()), img)
    res = RandomScanDegrade(prob=0.0, seed=0).transform(dict(img=img.copy()))
    assert np.array_equal(res['img'], img)


def test_paper_tone_darkens_paper_keeps_black():
    out = _only(paper_prob=1.0, paper_range=(0.8, 0.8)).degrade(_page())
    paper = out[100, 50].astype(float)
    # paper = 255 * 0.8 (times a yellowish tone <= 1 in B and G)
    assert paper[2] == pytest.approx(204, abs=1)
    assert (paper <= 205).all() and (paper >= 0.85 * 204 - 1).all()
    assert (out[25, 40] == 0).all()


def test_ink_contrast_around_paper():
    t = _only(ink_prob=1.0)
    rng = np.random.default_rng(3)
    c_rng = np.random.default_rng(3)
    c_rng.random(), c_rng.random()  # the paper and ink draws come first
    c = c_rng.uniform(0.6, 1.2)
    out = t.degrade(_page(), rng)
    expect = np.clip(255 - (255 - 0) * c + 0.5, 0, 255).astype(np.uint8)
    assert out[25, 40, 0] == expect
    assert out[100, 50, 0] == 255


def test_blur_noise_jpeg_keep_shape_and_layout():
    img = _page()
    for kw in (dict(blur_prob=1.0), dict(noise_prob=1.0),
               dict(jpeg_prob=1.0, jpeg_quality=(20, 20))):
        out = _only(**kw).degrade(img.copy())
        assert out.shape == img.shape and out.dtype == np.uint8
        assert not np.array_equal(out, img)
        # the text line is still the darkest band: geometry unchanged
        rows = out.mean(axis=(1, 2))
        assert rows[20:30].mean() < 100 < rows[70:110].mean()
    jpeg = _only(jpeg_prob=1.0, jpeg_quality=(20, 20)).degrade(img.copy())
    ok, enc = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, 20])
    assert np.array_equal(jpeg, cv2.imdecode(enc, cv2.IMREAD_COLOR))


def test_gray_images_and_labels_untouched():
    gray = _page()[..., 0]
    out = _only(paper_prob=1.0, noise_prob=1.0, jpeg_prob=1.0).degrade(gray)
    assert out.shape == gray.shape
    boxes = np.array([[10, 20, 80, 30]], np.float32)
    res = RandomScanDegrade(prob=1.0, seed=1).transform(
        dict(img=_page(), gt_bboxes=boxes.copy()))
    assert np.array_equal(res['gt_bboxes'], boxes)


def test_bad_arguments():
    with pytest.raises(ValueError):
        RandomScanDegrade(prob=1.5)
    with pytest.raises(ValueError):
        RandomScanDegrade(jpeg_quality=(90, 10))


def test_in_the_demo_pipeline():
    from mmengine.config import Config
    cfg = Config.fromfile(
        'configs/demo/mask-rcnn_r18_fpn_1xb4-400i_demo-doclaynet.py')
    types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert 'RandomScanDegrade' in types and 'mmdet.Rotate' in types
    assert 'RandomScanDegrade' not in [
        t['type'] for t in cfg.test_dataloader.dataset.pipeline]
