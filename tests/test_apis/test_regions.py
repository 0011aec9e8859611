# Copyright (c) docseg_mm contributors. All rights reserved.
import numpy as np
import torch
from mmengine.structures import InstanceData

from docseg_mm.apis.regions import (instance_regions, mask_to_polygons,
                                    semantic_regions)


def test_mask_to_polygons_of_rectangles():
    mask = np.zeros((20, 30), bool)
    mask[2:6, 3:10] = True       # 7 x 4 pixels
    mask[10:18, 20:25] = True    # larger one first
    polys = mask_to_polygons(mask, offset=(100, 50))
    assert len(polys) == 2
    # OpenCV contours run through the centres of the border pixels
    xs, ys = polys[0][0::2], polys[0][1::2]
    assert (min(xs), min(ys), max(xs), max(ys)) == (120, 60, 124, 67)
    xs, ys = polys[1][0::2], polys[1][1::2]
    assert (min(xs), min(ys), max(xs), max(ys)) == (103, 52, 109, 55)
    assert mask_to_polygons(np.zeros((4, 4), bool)) == []


def test_instance_regions_filter_and_order():
    masks = torch.zeros(3, 10, 10, dtype=torch.bool)
    masks[0, 1:3, 1:4] = True
    masks[2, 5:9, 5:9] = True
    inst = InstanceData(
        bboxes=torch.tensor([[1., 1., 4., 3.], [0., 0., 2., 2.],
                             [5., 5., 9., 9.]]),
        scores=torch.tensor([0.5, 0.2, 0.9]),
        labels=torch.tensor([1, 0, 2]),
        masks=masks)
    names = ['a', 'b', 'c']
    regions = instance_regions(inst, names, score_thr=0.3)
    assert [(r['category'], r['score'], r['area']) for r in regions] == \
        [('c', 0.9, 16), ('b', 0.5, 6)]
    assert regions[1]['bbox'] == [1., 1., 4., 3.]
    only_b = instance_regions(inst, names, keep_labels=[1])
    assert [r['label'] for r in only_b] == [1]
    # no masks: the box is the polygon, its area the box area
    del inst.masks
    boxes_only = instance_regions(inst, names, score_thr=0.0)
    assert boxes_only[1]['polygons'] == [[1., 1., 4., 1., 4., 3., 1., 3.]]
    assert boxes_only[1]['area'] == 6.0


def test_semantic_regions_components_and_scores():
    lab = torch.zeros(40, 40, dtype=torch.long)
    lab[2:12, 2:22] = 1          # 200 px
    lab[20:30, 5:10] = 1         # 50 px
    lab[30:38, 30:38] = 2        # 64 px
    lab[0, 39] = 2               # 1 px: below min_area
    lab[39, 0:5] = 255           # ignored
    logits = torch.zeros(3, 40, 40)
    logits[1][lab == 1] = 2.0
    logits[2][lab == 2] = 1.0
    regions = semantic_regions(lab, logits, ['bg', 'one', 'two'],
                               background=[0], min_area=10)
    got = [(r['category'], r['bbox'], r['area']) for r in regions]
    assert got == [('one', [2., 2., 22., 12.], 200),
                   ('one', [5., 20., 10., 30.], 50),
                   ('two', [30., 30., 38., 38.], 64)]
    # score: mean softmax probability of the label over the component
    p1 = np.exp(2) / (np.exp(2) + 2)
    p2 = np.exp(1) / (np.exp(1) + 2)
    assert np.allclose([r['score'] for r in regions], [p1, p1, p2],
                       atol=1e-5)
    # probabilities are used as they are; classes filter; score_thr
    probs = torch.full((3, 40, 40), 0.25)
    kept = semantic_regions(lab, probs, ['bg', 'one', 'two'],
                            background=[0], keep_labels=[2], min_area=10)
    assert [(r['category'], r['score']) for r in kept] == [('two', 0.25)]
    assert semantic_regions(lab, probs, ['bg', 'one', 'two'],
                            background=[0], score_thr=0.3) == []
