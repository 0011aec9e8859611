# Copyright (c) docseg_mm contributors. All rights reserved.
"""AlignSeg multi-crop: the minimum-overlap constraint and crop geometry."""
import numpy as np
import pytest

from docseg_mm.datasets.transforms import AlignSegMultiCrop
from docseg_mm.datasets.transforms.multi_crop import (box_intersection,
                                                      sample_resized_crop)


def test_box_intersection():
    assert box_intersection((0, 0, 10, 10), (5, 5, 20, 20)) == 25
    assert box_intersection((0, 0, 10, 10), (10, 0, 20, 10)) == 0


@pytest.mark.parametrize('seed', range(5))
def test_every_local_crop_overlaps_the_global_crop(seed):
    h, w = 120, 90
    t = AlignSegMultiCrop(num_local=3, global_size=32, local_size=32,
                          min_intersection=0.05, seed=seed)
    need = int(h * w * 0.05)
    for _ in range(50):
        boxes = t.sample_boxes(h, w)
        glob = boxes[0]
        gw, gh = glob[2] - glob[0], glob[3] - glob[1]
        assert 0.5 * h * w * 0.99 <= gw * gh <= h * w  # global scale
        for box in boxes[1:]:
            assert box_intersection(box, glob) > need
            assert 0 <= box[0] < box[2] <= w and 0 <= box[1] < box[3] <= h
            area = (box[2] - box[0]) * (box[3] - box[1])
            assert area <= 0.25 * h * w * 1.1
    assert t.num_fallbacks == 0


def test_constraint_rejects_samples():
    # Without the constraint many local crops miss a small global crop.
    rng = np.random.default_rng(0)
    h, w = 200, 200
    glob = (0, 0, 100, 100)
    boxes = [sample_resized_crop(rng, h, w, (0.05, 0.25), (3 / 4, 4 / 3))
             for _ in range(200)]
    misses = sum(box_intersection(b, glob) <= int(h * w * 0.05)
                 for b in boxes)
    assert misses > 20


def test_fallback_recentres_and_counts():
    t = AlignSegMultiCrop(num_local=2, global_scale=(0.3, 0.3),
                          local_scale=(0.05, 0.05), min_intersection=0.9,
                          max_tries=3, seed=0)
    boxes = t.sample_boxes(100, 100)
    assert t.num_fallbacks == 2
    g = boxes[0]
    for box in boxes[1:]:  # centred on the global crop
        assert abs((box[0] + box[2]) // 2 - (g[0] + g[2]) // 2) <= 1
        assert abs((box[1] + box[3]) // 2 - (g[1] + g[3]) // 2) <= 1


def test_crops_boxes_and_seg_maps_follow_the_boxes():
    h, w = 64, 80
    ys, xs = np.mgrid[:h, :w]
    coords = (ys * w + xs).astype(np.int32)  # pixel id map
    img = np.stack([xs, ys, np.zeros_like(xs)], -1).astype(np.uint8)
    t = AlignSegMultiCrop(num_local=2, global_size=16, local_size=8,
                          interpolation='nearest', seed=3)
    out = t(dict(img=img, gt_seg_map=coords))
    assert len(out['img']) == 3
    assert [c.shape[:2] for c in out['img']] == [(16, 16), (8, 8), (8, 8)]
    boxes = out['crop_boxes'].numpy().astype(int)
    assert boxes.shape == (3, 4)
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        seg = out['crop_seg_maps'][i].numpy()
        # nearest resize: corner pixels come from the box corners
        assert seg[0, 0] == y1 * w + x1
        assert seg[-1, -1] // w >= y1 and seg[-1, -1] // w < y2
        assert seg[-1, -1] % w >= x1 and seg[-1, -1] % w < x2
        crop = out['img'][i]
        assert crop[0, 0, 0] == x1 and crop[0, 0, 1] == y1
