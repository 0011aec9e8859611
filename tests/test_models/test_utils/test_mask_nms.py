# Copyright (c) docseg_mm contributors. All rights reserved.
import torch

from docseg_mm.models.utils.mask_nms import (mask_areas, mask_nms,
                                             masks_to_tight_boxes)


def _rect(y1, y2, x1, x2, size=(32, 32)):
    mask = torch.zeros(size, dtype=torch.bool)
    mask[y1:y2, x1:x2] = True
    return mask


def _naive_nms(masks, scores, labels, iou_thr):
    """Reference greedy NMS on exact mask IoU, no box pre-filter."""
    order = sorted(range(len(scores)), key=lambda i: -float(scores[i]))
    kept = []
    for i in order:
        ok = True
        for k in kept:
            if labels[k] != labels[i]:
                continue
            inter = (masks[k] & masks[i]).sum().item()
            union = (masks[k] | masks[i]).sum().item()
            if inter / union > iou_thr:
                ok = False
                break
        if ok:
            kept.append(i)
    return kept


def test_tight_boxes():
    masks = torch.stack([
        _rect(2, 5, 3, 9),
        _rect(0, 1, 0, 1),
        torch.zeros(32, 32, dtype=torch.bool),
    ])
    masks[0, 10, 20] = True  # stray pixel extends the box
    boxes = masks_to_tight_boxes(masks)
    assert boxes.tolist() == [[3, 2, 21, 11], [0, 0, 1, 1], [0, 0, 0, 0]]
    assert mask_areas(masks, boxes).tolist() == [19, 1, 0]
    assert mask_areas(masks, boxes, [1]).tolist() == [0, 1, 0]


def test_suppression_and_order():
    # A (0.9) and B (0.8): IoU = 80 / 120 = 0.667; C (0.7) disjoint.
    a, b, c = _rect(0, 10, 0, 10), _rect(0, 10, 2, 12), _rect(20, 30, 0, 10)
    masks = torch.stack([c, a, b])
    scores = torch.tensor([0.7, 0.9, 0.8])
    labels = torch.zeros(3, dtype=torch.long)
    assert mask_nms(masks, scores, labels, 0.5).tolist() == [1, 0]
    keep = mask_nms(
        masks, scores, labels, 0.5, mask_boxes=masks_to_tight_boxes(masks))
    assert keep.tolist() == [1, 0]
    # IoU 0.667 is not above 0.7: everything kept, by decreasing score.
    assert mask_nms(masks, scores, labels, 0.7).tolist() == [1, 2, 0]


def test_not_across_classes():
    a, b = _rect(0, 10, 0, 10), _rect(0, 10, 0, 10)
    masks = torch.stack([a, b])
    scores = torch.tensor([0.4, 0.6])
    assert mask_nms(masks, scores, torch.tensor([0, 1]),
                    0.25).tolist() == [1, 0]
    assert mask_nms(masks, scores, torch.tensor([2, 2]), 0.25).tolist() == [1]


def test_suppressed_mask_does_not_suppress():
    # IoU(A, B) = 70/130 > 0.5, IoU(B, C) = 70/130, IoU(A, C) = 40/160.
    a, b, c = _rect(0, 10, 0, 10), _rect(0, 10, 3, 13), _rect(0, 10, 6, 16)
    masks = torch.stack([a, b, c])
    scores = torch.tensor([0.9, 0.8, 0.7])
    labels = torch.zeros(3, dtype=torch.long)
    assert mask_nms(masks, scores, labels, 0.5).tolist() == [0, 2]


def test_box_prefilter():
    a = _rect(0, 10, 0, 10)
    masks = torch.stack([a, a.clone()])
    scores = torch.tensor([0.9, 0.8])
    labels = torch.zeros(2, dtype=torch.long)
    # Box IoU is 1, which never exceeds a pre-filter threshold of 1.
    keep = mask_nms(masks, scores, labels, 0.5, box_iou_thr=1.0)
    assert keep.tolist() == [0, 1]
    assert mask_nms(masks, scores, labels, 0.5).tolist() == [0]


def test_empty_inputs_and_empty_masks():
    keep = mask_nms(
        torch.zeros(0, 8, 8, dtype=torch.bool), torch.zeros(0),
        torch.zeros(0, dtype=torch.long), 0.5)
    assert keep.dtype == torch.long and keep.numel() == 0
    masks = torch.stack([torch.zeros(8, 8, dtype=torch.bool)] * 2)
    keep = mask_nms(masks, torch.tensor([0.2, 0.3]),
                    torch.zeros(2).long(), 0.5)
    assert keep.tolist() == [1, 0]


def test_matches_naive_reference():
    gen = torch.Generator().manual_seed(0)
    masks = []
    for _ in range(40):
        y, x = torch.randint(0, 16, (2, ), generator=gen).tolist()
        h, w = torch.randint(4, 14, (2, ), generator=gen).tolist()
        mask = _rect(y, y + h, x, x + w)
        mask &= torch.rand(32, 32, generator=gen) > 0.1
        mask[y, x] = True
        masks.append(mask)
    masks = torch.stack(masks)
    scores = torch.rand(40, generator=gen)
    labels = torch.randint(0, 3, (40, ), generator=gen)
    for thr in (0.1, 0.3, 0.5):
        expected = _naive_nms(masks, scores, labels, thr)
        # Disable the heuristic pre-filter to compare exact behaviour.
        keep = mask_nms(masks, scores, labels, thr, box_iou_thr=-1.0)
        assert keep.tolist() == expected
        assert len(expected) < 40
