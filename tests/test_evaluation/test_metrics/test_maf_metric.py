# Copyright (c) docseg_mm contributors. All rights reserved.
"""mAF (mean F1 over mask-IoU thresholds) on hand-built masks."""
import numpy as np
import pytest
import torch

from docseg_mm.evaluation.metrics.maf_metric import (DEFAULT_IOU_THRS,
                                                     MeanF1Metric,
                                                     gt_instance_rle,
                                                     mean_f1_over_iou)

H = W = 20


def rect(x1: int, y1: int, x2: int, y2: int) -> np.ndarray:
    mask = np.zeros((H, W), dtype=bool)
    mask[y1:y2, x1:x2] = True
    return mask


def poly(x1, y1, x2, y2) -> list:
    return [[x1, y1, x2, y1, x2, y2, x1, y2]]


def sample(gts, preds):
    """gts: [(label, (x1, y1, x2, y2))]; preds: [(label, score, mask)]."""
    instances = [
        dict(bbox=list(box), bbox_label=label, mask=poly(*box), ignore_flag=0)
        for label, box in gts
    ]
    masks = torch.from_numpy(np.stack([m for _, _, m in preds])) if preds \
        else torch.zeros(0, H, W, dtype=torch.bool)
    return dict(
        img_id=0,
        ori_shape=(H, W),
        instances=instances,
        pred_instances=dict(
            bboxes=torch.zeros(len(preds), 4),
            scores=torch.tensor([s for _, s, _ in preds]),
            labels=torch.tensor([lb for lb, _, _ in preds]),
            masks=masks))


def evaluate(samples, **kwargs) -> dict:
    metric = MeanF1Metric(**kwargs)
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_thresholds_are_exact():
    assert np.allclose(DEFAULT_IOU_THRS, np.arange(10) * 0.05 + 0.5)
    assert 0.7 in DEFAULT_IOU_THRS and 0.75 in DEFAULT_IOU_THRS


def test_gt_polygon_rle_and_bbox_fallback():
    import pycocotools.mask as mask_util
    from_poly = mask_util.decode(
        gt_instance_rle(dict(mask=poly(10, 0, 20, 10)), H, W)).astype(bool)
    assert np.array_equal(from_poly, rect(10, 0, 20, 10))
    from_box = mask_util.decode(
        gt_instance_rle(dict(bbox=[2, 3, 7, 9], mask=None), H, W))
    assert np.array_equal(from_box.astype(bool), rect(2, 3, 7, 9))
    rle = mask_util.encode(
        np.asfortranarray(rect(1, 1, 4, 4)[..., None].astype(np.uint8)))[0]
    rle['counts'] = rle['counts'].decode()  # json-style str counts
    assert mask_util.area(gt_instance_rle(dict(mask=rle), H, W)) == 9


def test_perfect_predictions_score_one():
    gts = [(0, (0, 0, 10, 10)), (0, (10, 10, 20, 20)), (1, (0, 10, 10, 20))]
    preds = [(lb, 0.9, rect(*box)) for lb, box in gts]
    res = evaluate([sample(gts, preds)])
    assert res['mAF'] == pytest.approx(1.0)
    assert res['mAF_50'] == pytest.approx(1.0)
    assert res['mAF_75'] == pytest.approx(1.0)


def test_one_of_two_gt_found_at_iou_072():
    # GT A (100 px) and B; one prediction of 72 px inside A: IoU 0.72.
    gts = [(0, (0, 0, 10, 10)), (0, (10, 10, 20, 20))]
    preds = [(0, 0.9, rect(0, 0, 9, 8))]
    # TP = 1 at .50 .55 .60 .65 .70, 0 above; F1 = 2*1/(2+1) = 2/3.
    expected_f1 = np.array([2 / 3] * 5 + [0.0] * 5)
    res = evaluate([sample(gts, preds)], classwise=True)
    assert res['mAF'] == pytest.approx(expected_f1.mean())  # 1/3
    assert res['mAF_50'] == pytest.approx(2 / 3)
    assert res['mAF_75'] == pytest.approx(0.0)
    assert res['AF_0'] == pytest.approx(1 / 3)
    # the functional form gives the same number
    assert mean_f1_over_iou(
        [[rect(0, 0, 10, 10), rect(10, 10, 20, 20)]],
        [[rect(0, 0, 9, 8)]]) == pytest.approx(1 / 3)


def test_low_score_prediction_ignored():
    gts = [(0, (0, 0, 10, 10))]
    preds = [(0, 0.9, rect(0, 0, 10, 10)), (0, 0.49, rect(10, 10, 20, 20)),
             (1, 0.2, rect(0, 10, 10, 20))]
    res = evaluate([sample(gts, preds)])
    # without the filter class 0 would be 2/3 and class 1 would count as 0
    assert res['mAF'] == pytest.approx(1.0)
    res = evaluate([sample(gts, preds)], score_thr=0.1)
    assert res['mAF'] == pytest.approx((2 / 3 + 0.0) / 2)


def test_hungarian_matching_is_one_to_one_and_maximises_total_iou():
    # Columns of a 10-row band: G1 = x[0,10), G2 = x[2,7) (overlapping GT),
    # P1 = x[2,11) (score .9), P2 = x[0,11) (score .8).
    # IoU(P1,G1)=8/11, IoU(P1,G2)=5/9, IoU(P2,G1)=10/11, IoU(P2,G2)=5/11.
    # Max total IoU: P1-G2 + P2-G1 (1.465 > 1.182), matched ONCE.
    gts = [(0, (0, 0, 10, 10)), (0, (2, 0, 7, 10))]
    preds = [(0, 0.9, rect(2, 0, 11, 10)), (0, 0.8, rect(0, 0, 11, 10))]
    # TP = 2 at .50/.55, 1 at .60-.90 (7 thresholds), 0 at .95; F1=TP/2.
    expected = (2 * 1.0 + 7 * 0.5 + 0.0) / 10
    res = evaluate([sample(gts, preds)])
    assert res['mAF'] == pytest.approx(expected)  # 0.55
    # a greedy score-ordered matcher would give P1-G1 and TP = 1 at .50
    assert res['mAF_50'] == pytest.approx(1.0)


def test_counts_accumulate_over_dataset_not_per_image():
    # image 1: 1 GT found exactly; image 2: 3 GT, nothing predicted.
    img1 = sample([(0, (0, 0, 5, 5))], [(0, 0.9, rect(0, 0, 5, 5))])
    img2 = sample([(0, (0, 0, 5, 5)), (0, (5, 5, 10, 10)),
                   (0, (10, 10, 15, 15))], [])
    res = evaluate([img1, img2])
    # dataset totals: TP 1, GT 4, Pred 1 -> 2/5 (per-image mean would be .5)
    assert res['mAF'] == pytest.approx(0.4)


def test_ignored_gt_and_classes_without_gt_or_pred():
    gts = [(0, (0, 0, 10, 10))]
    s = sample(gts, [(0, 0.9, rect(0, 0, 10, 10))])
    s['instances'].append(
        dict(
            bbox=[10, 10, 20, 20],
            bbox_label=2,
            mask=poly(10, 10, 20, 20),
            ignore_flag=1))
    res = evaluate([s])
    assert res['mAF'] == pytest.approx(1.0)  # classes 1, 2 not counted
