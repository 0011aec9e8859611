# Copyright (c) docseg_mm contributors. All rights reserved.
"""DocCocoMetric: COCO AP at the largest maxDets, on hand-built samples."""
import numpy as np
import pytest
import torch

from docseg_mm.evaluation.metrics.doc_coco_metric import DocCocoMetric

CLASSES = ('text', 'table')


def box_mask(box, h, w) -> np.ndarray:
    x1, y1, x2, y2 = box
    mask = np.zeros((h, w), dtype=bool)
    mask[y1:y2, x1:x2] = True
    return mask


def sample(img_id, h, w, gts, preds):
    """gts: [(label, box)]; preds: [(label, score, box)] (xyxy ints)."""
    instances = [
        dict(
            bbox=list(map(float, b)),
            bbox_label=lb,
            ignore_flag=0,
            mask=[[b[0], b[1], b[2], b[1], b[2], b[3], b[0], b[3]]])
        for lb, b in gts
    ]
    masks = np.stack([box_mask(b, h, w) for _, _, b in preds]) if preds \
        else np.zeros((0, h, w), bool)
    return dict(
        img_id=img_id,
        ori_shape=(h, w),
        instances=instances,
        pred_instances=dict(
            bboxes=torch.tensor([b for _, _, b in preds],
                                dtype=torch.float32).reshape(-1, 4),
            scores=torch.tensor([s for _, s, _ in preds]),
            labels=torch.tensor([lb for lb, _, _ in preds], dtype=torch.long),
            masks=torch.from_numpy(masks)))


def evaluate(metric, samples) -> dict:
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, samples)
    out = metric.compute_metrics(metric.results)
    metric.results.clear()
    return out


def grid_sample(n=150):
    """One 100x150 image with ``n`` disjoint 10x10 GT boxes, all found."""
    boxes = [(x, y, x + 10, y + 10) for y in range(0, 100, 10)
             for x in range(0, 150, 10)][:n]
    return sample(1, 100, 150, [(0, b) for b in boxes],
                  [(0, 1.0 - i * 1e-3, b) for i, b in enumerate(boxes)])


def test_perfect_predictions_score_one():
    s = sample(1, 40, 40, [(0, (0, 0, 10, 10)), (1, (10, 10, 30, 30))],
               [(0, 0.9, (0, 0, 10, 10)), (1, 0.8, (10, 10, 30, 30))])
    res = evaluate(DocCocoMetric(), [s])
    for m in ('bbox', 'segm'):
        assert res[f'{m}_mAP'] == pytest.approx(1.0)
        assert res[f'{m}_mAP_50'] == pytest.approx(1.0)
        assert res[f'{m}_mAP_75'] == pytest.approx(1.0)


def test_single_match_at_iou_072_and_classwise():
    # GT 10x10, prediction 9x8 inside it: box and mask IoU 0.72.
    s = sample(1, 20, 20, [(0, (0, 0, 10, 10)), (1, (10, 10, 20, 20))],
               [(0, 0.9, (0, 0, 9, 8)), (1, 0.9, (10, 10, 20, 20))])
    res = evaluate(DocCocoMetric(classwise=True), [s])
    for m in ('bbox', 'segm'):
        # class text: TP at the 5 thresholds <= .70 -> AP .5; table: 1.
        assert res[f'{m}_AP_text'] == pytest.approx(0.5)
        assert res[f'{m}_AP_table'] == pytest.approx(1.0)
        assert res[f'{m}_mAP'] == pytest.approx(0.75)
        assert res[f'{m}_mAP_50'] == pytest.approx(1.0)
        assert res[f'{m}_mAP_75'] == pytest.approx(0.5)


def test_more_than_100_detections_reported_at_max_dets():
    from mmdet.evaluation import CocoMetric
    res = evaluate(
        DocCocoMetric(
            metric='bbox', metric_items=['mAP', 'mAP_50', 'AR@40', 'AR@400']),
        [grid_sample()])
    assert res['bbox_mAP'] == pytest.approx(1.0)
    assert res['bbox_mAP_50'] == pytest.approx(1.0)
    assert res['bbox_AR@40'] == pytest.approx(40 / 150)
    assert res['bbox_AR@400'] == pytest.approx(1.0)
    # at 100 detections recall stops at 100/150: precision 1 on the
    # 67 recall thresholds 0.00..0.66 of 101 -> AP 67/101.
    res100 = evaluate(
        DocCocoMetric(metric='bbox', max_dets=(1, 10, 100)), [grid_sample()])
    assert res100['bbox_mAP'] == pytest.approx(67 / 101)
    # the pitfall being fixed: stock CocoMetric reads mAP at maxDets=100
    stock = evaluate(CocoMetric(metric='bbox'), [grid_sample()])
    assert stock['bbox_mAP'] == pytest.approx(67 / 101, abs=1e-3)
    assert stock['bbox_mAP_50'] == 1.0  # ...but AP50 at 1000
    stock = evaluate(
        CocoMetric(metric='bbox', proposal_nums=(40, 400, 4000)),
        [grid_sample()])
    assert stock['bbox_mAP'] == -1.0


def test_no_predictions_give_zero_and_gt_is_not_cached():
    metric = DocCocoMetric()
    empty = sample(1, 20, 20, [(0, (0, 0, 10, 10))], [])
    res = evaluate(metric, [empty])
    assert res['bbox_mAP'] == 0.0 and res['segm_mAP'] == 0.0
    # the same metric object on other GT (next validation round)
    other = sample(7, 30, 30, [(1, (5, 5, 25, 25))],
                   [(1, 0.9, (5, 5, 25, 25))])
    res = evaluate(metric, [other])
    assert res['bbox_mAP'] == pytest.approx(1.0)
    assert res['segm_mAP'] == pytest.approx(1.0)


def test_bad_arguments():
    with pytest.raises(KeyError):
        DocCocoMetric(metric='proposal_fast')
    with pytest.raises(ValueError):
        DocCocoMetric(max_dets=(400, 40))
    with pytest.raises(KeyError):
        DocCocoMetric(metric_items=['AR@100'])
