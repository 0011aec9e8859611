# Copyright (c) docseg_mm contributors. All rights reserved.
"""Multi-label semantic mIoU on hand-built binary class maps."""
import numpy as np
import pytest
import torch

from docseg_mm.evaluation.metrics.multilabel_iou import (
    MultiLabelIoUMetric, instances_to_class_maps)

H = W = 10


def rect(x1, y1, x2, y2) -> np.ndarray:
    mask = np.zeros((H, W), dtype=bool)
    mask[y1:y2, x1:x2] = True
    return mask


def inst(label, box, ignore=0, mask='poly'):
    x1, y1, x2, y2 = box
    m = [[x1, y1, x2, y1, x2, y2, x1, y2]] if mask == 'poly' else None
    return dict(bbox=list(box), bbox_label=label, mask=m, ignore_flag=ignore)


def sample(instances, pred_maps):
    return dict(
        ori_shape=(H, W),
        instances=instances,
        pred_sem_masks=dict(data=torch.from_numpy(np.stack(pred_maps))))


def evaluate(samples, **kwargs):
    metric = MultiLabelIoUMetric(**kwargs)
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_gt_maps_are_per_class_unions():
    maps = instances_to_class_maps([
        inst(0, (0, 0, 5, 5)),
        inst(0, (3, 3, 8, 8)),
        inst(1, (0, 0, 10, 2), mask=None)
    ], 3, H, W)
    assert maps.shape == (3, H, W)
    assert maps[0].sum() == 25 + 25 - 4
    assert torch.equal(maps[1].bool(), torch.from_numpy(rect(0, 0, 10, 2)))
    assert maps[2].sum() == 0


def test_known_intersections_unions_and_empty_class_excluded():
    empty = np.zeros((H, W), bool)
    # image 1: class a GT x[0,5) (50 px), pred x[0,7) -> I 50, U 70.
    #          class b GT y[0,2) (20 px), pred none   -> I 0,  U 20.
    s1 = sample(
        [inst(0,
              (0, 0, 5, 10)), inst(1, (0, 0, 10, 2))],
        [rect(0, 0, 7, 10), empty, empty])
    # image 2: class a no GT, pred x[0,1) (10 px)    -> I 0,  U 10.
    #          class b GT y[0,5) (50), pred y[0,5)    -> I 50, U 50.
    s2 = sample(
        [inst(1, (0, 0, 10, 5))],
        [rect(0, 0, 1, 10), rect(0, 0, 10, 5), empty])
    res = evaluate([s1, s2], classwise=True)
    iou_a, iou_b = 50 / (70 + 10), 50 / (20 + 50)
    assert res['IoU_a'] == pytest.approx(iou_a)
    assert res['IoU_b'] == pytest.approx(iou_b)
    assert 'IoU_c' not in res  # no GT and no prediction anywhere
    assert res['mIoU'] == pytest.approx((iou_a + iou_b) / 2)
    # dataset totals, not the mean of per-image IoUs
    assert res['mIoU'] != pytest.approx(((50 / 70 + 0) / 2 + (0 + 1) / 2) / 2)


def test_overlapping_multilabel_pixels_count_for_each_class():
    # rows 0-5 are both a table and a cell (GT and prediction).
    gts = [inst(0, (0, 0, 10, 5)), inst(1, (0, 0, 10, 10))]
    pred_a = rect(0, 0, 10, 5)  # exact: IoU 1
    pred_b = rect(0, 0, 10, 8)  # 80 of 100: IoU .8
    res = evaluate([sample(gts, [pred_a, pred_b, np.zeros((H, W), bool)])])
    assert res['mIoU'] == pytest.approx((1.0 + 0.8) / 2)
    # the same pixels predicted as a only (argmax-style) lose class b
    res = evaluate(
        [sample(gts,
                [pred_a, rect(0, 5, 10, 8),
                 np.zeros((H, W), bool)])])
    assert res['mIoU'] == pytest.approx((1.0 + 0.3) / 2)


def test_ignored_instance_pixels_are_not_scored():
    gts = [inst(0, (0, 0, 5, 10)), inst(0, (5, 0, 10, 10), ignore=1)]
    pred = rect(0, 0, 10, 10)  # covers the crowd region too
    res = evaluate(
        [sample(gts,
                [pred, np.zeros((H, W), bool),
                 np.zeros((H, W), bool)])])
    assert res['mIoU'] == pytest.approx(1.0)


def test_shape_mismatch_raises():
    s = sample([inst(0, (0, 0, 5, 5))], [np.zeros((H, W + 1), bool)] * 3)
    with pytest.raises(ValueError, match='do not match'):
        evaluate([s])
