# Copyright (c) docseg_mm contributors. All rights reserved.
"""RandomShortSideResize and RandomResizeOrCrop on hand-built boxes."""
import random

import numpy as np
import pytest
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks, PolygonMasks

from docseg_mm.datasets.transforms.docsam_transforms import (
    RandomResizeOrCrop, RandomShortSideResize)
from docseg_mm.registry import TRANSFORMS


def _rect(b):
    x1, y1, x2, y2 = b
    return [np.array([x1, y1, x2, y1, x2, y2, x1, y2], dtype=np.float64)]


def _results(h, w, boxes, polys=None):
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    img = np.arange(h * w, dtype=np.int64).reshape(h, w)
    img = np.stack([img % 251, img // 251 % 251, img // 63001], -1)
    return dict(
        img=img.astype(np.uint8),
        img_shape=(h, w),
        gt_bboxes=HorizontalBoxes(boxes),
        gt_bboxes_labels=np.arange(len(boxes), dtype=np.int64),
        gt_ignore_flags=np.zeros(len(boxes), dtype=bool),
        gt_masks=PolygonMasks(polys or [_rect(b) for b in boxes], h, w))


def _boxes(results):
    boxes = results['gt_bboxes'].numpy().astype(np.float64)
    return boxes.round(4).tolist()


def test_short_side_resize_keeps_ratio():
    t = TRANSFORMS.build(
        dict(type='RandomShortSideResize', short_range=(50, 50)))
    out = t(_results(100, 200, [[20, 10, 60, 30]]))
    assert out['img'].shape[:2] == (50, 100) and out['img_shape'] == (50, 100)
    assert _boxes(out) == [[10, 5, 30, 15]]
    assert out['scale_factor'] == (0.5, 0.5)
    assert out['gt_masks'].masks[0][0].tolist() == [
        10, 5, 30, 5, 30, 15, 10, 15
    ]


def test_short_side_resize_caps_long_side():
    t = RandomShortSideResize(short_range=(50, 50), long_max_ratio=2.0)
    res = _results(100, 400, [[40, 20, 200, 60]])
    res['scale_factor'] = (2.0, 2.0)  # an earlier resize is composed
    out = t(res)
    # short 100 -> 50 (x0.5); long 400 -> min(200, 2 * 50) = 100 (x0.25)
    assert out['img'].shape[:2] == (50, 100)
    assert _boxes(out) == [[10, 10, 50, 30]]
    assert out['scale_factor'] == (0.5, 1.0)
    assert out['gt_masks'].masks[0][0].tolist() == [
        10, 10, 50, 10, 50, 30, 10, 30
    ]


def test_short_side_resize_random_and_test_short():
    random.seed(0)
    t = RandomShortSideResize(short_range=(60, 64))
    shorts = {min(t.target_size(100, 150)) for _ in range(200)}
    assert shorts == {60, 61, 62, 63, 64}
    fixed = RandomShortSideResize(short_range=(60, 64), test_short=80)
    assert {fixed.target_size(100, 150) for _ in range(5)} == {(120, 80)}
    assert fixed.target_size(100, 300) == (160, 80)  # long capped at 2x
    with pytest.raises(ValueError, match='test_short'):
        RandomShortSideResize(keep_size=True, test_short=800)


def test_keep_size_mode():
    t = RandomShortSideResize(keep_size=True, jitter=0, clamp=(64, 128))
    assert t.target_size(100, 200) == (200, 100)  # short side in range
    assert t.target_size(20, 30) == (96, 64)  # x3.2 up to 64
    assert t.target_size(300, 500) == (213, 128)  # x128/300 down to 128
    assert t.target_size(64, 1000) == (128, 64)  # long capped at 2 x 64
    random.seed(1)
    jit = RandomShortSideResize(
        keep_size=True, jitter=0.2, clamp=(1, 10000), long_max_ratio=100)
    sizes = [jit.target_size(1000, 1000) for _ in range(200)]
    lo, hi = 1000 * 2**-0.2 - 1, 1000 * 2**0.2 + 1
    assert all(lo <= s <= hi for wh in sizes for s in wh)
    assert len({w - h for w, h in sizes}) > 50  # sides jittered apart


def test_resize_branch():
    t = RandomResizeOrCrop(patch_size=(64, 32), resize_prob=1.0)
    out = t(_results(100, 200, [[20, 10, 60, 30]]))
    assert out['img'].shape[:2] == (32, 64)
    assert _boxes(out) == [[6.4, 3.2, 19.2, 9.6]]
    assert out['scale_factor'] == (0.32, 0.32)


def test_crop_margin_rule():
    boxes = [
        [30, 20, 40, 30],  # inside
        [0, 0, 23, 100],  # 3 px into the window: dropped
        [0, 0, 24, 15],  # 4 x 5 px overlap: kept, clipped
        [100, 0, 120, 10],  # outside
        [45, 48, 46, 49],  # 1 x 1 box fully inside: kept
        [65, 45, 90, 90],  # 5 x 5 overlap: kept
        [20, 10, 40, 30],  # box inside but its polygon is not: dropped
    ]
    polys = [_rect(b) for b in boxes[:6]]
    polys.append([np.array([100., 80, 110, 80, 110, 90])])
    res = _results(100, 200, boxes, polys)
    res['gt_ignore_flags'][5] = True
    src = res['img'].copy()
    out = RandomResizeOrCrop(margin=4).crop(res, (20, 10, 70, 50))
    assert out['img'].shape[:2] == (40, 50) and out['img_shape'] == (40, 50)
    np.testing.assert_array_equal(out['img'], src[10:50, 20:70])
    assert _boxes(out) == [[10, 10, 20, 20], [0, 0, 4, 5], [25, 38, 26, 39],
                           [45, 35, 50, 40]]
    assert out['gt_bboxes_labels'].tolist() == [0, 2, 4, 5]
    assert out['gt_ignore_flags'].tolist() == [False, False, False, True]
    assert len(out['gt_masks']) == 4
    np.testing.assert_allclose(out['gt_masks'].areas, [100, 20, 1, 25])
    np.testing.assert_allclose(out['homography_matrix'],
                               [[1, 0, -20], [0, 1, -10], [0, 0, 1]])


def test_random_crop_windows_and_small_images():
    random.seed(0)
    t = RandomResizeOrCrop(patch_size=(50, 40), resize_prob=0.0)
    seen = set()
    for _ in range(30):
        res = _results(100, 200, [[0, 0, 200, 100]])
        src = res['img'].copy()
        out = t(res)
        assert out['img'].shape[:2] == (40, 50)
        # find the offset from the unique pixel code of the top-left pixel
        code = out['img'][0, 0].astype(np.int64)
        flat = code[0] + 251 * code[1] + 63001 * code[2]
        y0, x0 = divmod(int(flat), 200)
        seen.add((x0, y0))
        np.testing.assert_array_equal(out['img'], src[y0:y0 + 40, x0:x0 + 50])
        assert _boxes(out) == [[0, 0, 50, 40]]
        assert 0 <= x0 <= 150 and 0 <= y0 <= 60
    assert len(seen) > 20
    small = t(_results(20, 30, [[5, 5, 10, 10]]))  # smaller than the patch
    assert small['img'].shape[:2] == (20, 30)
    assert _boxes(small) == [[5, 5, 10, 10]]


def test_crop_empty_result_and_bitmaps():
    masks = np.zeros((2, 100, 200), np.uint8)
    masks[0, 20:30, 30:40] = 1
    masks[1, 0:10, 150:160] = 1
    res = _results(100, 200, [[30, 20, 40, 30], [150, 0, 160, 10]])
    res['gt_masks'] = BitmapMasks(masks, 100, 200)
    out = RandomResizeOrCrop().crop(res, (20, 10, 70, 50))
    assert out['gt_masks'].masks.shape == (1, 40, 50)
    assert out['gt_masks'].masks[0, 10:20, 10:20].all()
    assert out['gt_masks'].areas.tolist() == [100]
    empty = RandomResizeOrCrop().crop(
        _results(100, 200, [[150, 0, 160, 10]]), (0, 50, 50, 100))
    assert empty['gt_bboxes'].numpy().shape == (0, 4)
    assert len(empty['gt_masks']) == 0 and len(empty['gt_bboxes_labels']) == 0
    packed = TRANSFORMS.build(dict(type='mmdet.PackDetInputs'))(empty)
    assert len(packed['data_samples'].gt_instances) == 0
