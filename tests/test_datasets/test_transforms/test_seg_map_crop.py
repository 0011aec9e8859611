# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of :class:`RandomResizedCropWithSegMap`: one crop for image and
map, the map always resized with nearest neighbours."""
import numpy as np
import pytest

from docseg_mm.datasets.transforms import RandomResizedCropWithSegMap


def _page(h=12, w=16):
    seg = (np.arange(h * w).reshape(h, w) % 7).astype(np.uint8)
    img = np.stack([seg * 10, seg * 20, np.full_like(seg, 3)], axis=-1)
    return img.astype(np.uint8), seg


def test_fixed_crop_by_hand(monkeypatch):
    img, seg = _page()
    t = RandomResizedCropWithSegMap(scale=(8, 12), interpolation='nearest')
    # offset_h, offset_w, target_h, target_w
    monkeypatch.setattr(t, 'rand_crop_params', lambda img: (2, 3, 4, 6))
    out = t(dict(img=img.copy(), gt_seg_map=seg.copy()))
    assert out['crop_bbox'].tolist() == [3, 2, 8, 5]  # x1, y1, x2, y2
    assert out['img_shape'] == (8, 12)

    def up2(a):  # a 2x nearest upscale written out
        return np.repeat(np.repeat(a, 2, axis=0), 2, axis=1)

    np.testing.assert_array_equal(out['img'], up2(img[2:6, 3:9]))
    np.testing.assert_array_equal(out['gt_seg_map'], up2(seg[2:6, 3:9]))


def test_map_stays_nearest_with_bilinear_image(monkeypatch):
    img, seg = _page()
    t = RandomResizedCropWithSegMap(scale=(8, 12))  # bilinear image
    monkeypatch.setattr(t, 'rand_crop_params', lambda img: (2, 3, 4, 6))
    out = t(dict(img=img.copy(), gt_seg_map=seg.copy()))
    np.testing.assert_array_equal(
        out['gt_seg_map'],
        np.repeat(np.repeat(seg[2:6, 3:9], 2, axis=0), 2, axis=1))
    # the image itself was blended: values between labels appear
    assert not set(np.unique(out['img'][..., 0])) <= set(
        np.unique(seg) * 10)


@pytest.mark.parametrize('seed', range(5))
def test_random_crops_keep_image_and_map_aligned(seed):
    np.random.seed(seed)
    h, w = 40, 60
    rows, cols = np.mgrid[:h, :w]
    seg = rows.astype(np.uint8)  # label = source row
    img = np.stack([rows * 5, cols * 4, np.zeros_like(rows)],
                   axis=-1).astype(np.uint8)
    t = RandomResizedCropWithSegMap(
        scale=(24, 30), crop_ratio_range=(0.2, 0.9), interpolation='nearest')
    out = t(dict(img=img, gt_seg_map=seg))
    assert out['img'].shape == (24, 30, 3) and out['gt_seg_map'].shape == (
        24, 30)
    # every pixel of the image still sits on its own label (same row)
    np.testing.assert_array_equal(out['img'][..., 0],
                                  out['gt_seg_map'].astype(np.uint8) * 5)
    x1, y1, x2, y2 = out['crop_bbox'].tolist()
    assert 0 <= x1 <= x2 < w and 0 <= y1 <= y2 < h
    # rows and columns come from the crop box, starting at its corner
    assert out['gt_seg_map'][0, 0] == y1 and out['img'][0, 0, 1] == x1 * 4
    assert y1 <= out['gt_seg_map'].min() <= out['gt_seg_map'].max() <= y2
    src_cols = out['img'][..., 1] // 4
    assert x1 <= src_cols.min() <= src_cols.max() <= x2


def test_without_seg_map(monkeypatch):
    img, _ = _page()
    t = RandomResizedCropWithSegMap(scale=8, interpolation='nearest')
    monkeypatch.setattr(t, 'rand_crop_params', lambda img: (0, 0, 4, 4))
    out = t(dict(img=img.copy()))
    assert 'gt_seg_map' not in out
    np.testing.assert_array_equal(
        out['img'], np.repeat(np.repeat(img[:4, :4], 2, axis=0), 2, axis=1))
