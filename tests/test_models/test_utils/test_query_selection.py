# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of DocSAM's per-image query selection (``select_queries``) and the
re-padding of the kept queries (``gather_queries``).

Expected values are built by hand: logits are chosen so that the softmax
scores are known in closed form, boxes are far apart unless a test is about
NMS.
"""
import math

import pytest
import torch

from docseg_mm.models.utils.query_selection import (gather_queries,
                                                    select_queries)


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    """Tiny ops are much faster single-threaded on a shared 2-core CPU."""
    num = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(num)


def _far_boxes(n: int) -> torch.Tensor:
    """``n`` disjoint 10x10 boxes on a row (no NMS interaction)."""
    x0 = torch.arange(n, dtype=torch.float32) * 20.
    return torch.stack([x0, torch.zeros(n), x0 + 10., torch.full((n, ), 10.)],
                       1)


def _logits_with_score(scores, num_labels: int, eps: float = 1e-4):
    """Logits (Q, num_labels) whose softmax gives probability ``s`` to class
    0, ``eps`` to the other non-background classes and the rest to the
    background (last), so that the score (max over the non-background
    columns) is exactly ``s`` for ``s > eps``."""
    rows = []
    for s in scores:
        bg = 1. - s - eps * (num_labels - 2)
        row = [math.log(s)] + [math.log(eps)] * (num_labels - 2)
        rows.append(row + [math.log(bg)])
    return torch.tensor(rows, dtype=torch.float32)


def _select(logits, boxes, pad=None, num_labels=None, **kw):
    """Single-image call; returns a python list of kept indices."""
    q = logits.shape[0]
    pad = torch.zeros(q, dtype=torch.bool) if pad is None else pad
    num_labels = num_labels or logits.shape[1]
    keeps = select_queries(logits[None], boxes[None], pad[None],
                           [num_labels], **kw)
    assert len(keeps) == 1
    return keeps[0].tolist()


# ---------------------------------------------------------------------------
# select_queries
# ---------------------------------------------------------------------------
def test_threshold_keeps_scores_above_and_sorts_best_first():
    scores = [0.50, 0.05, 0.90, 0.30, 0.049, 0.70]
    logits = _logits_with_score(scores, num_labels=3)
    # sanity of the hand-built logits: softmax max over non-bg == score
    probs = logits.softmax(-1)
    assert torch.allclose(probs[:, :2].max(-1).values, torch.tensor(scores))
    kept = _select(
        logits, _far_boxes(6), score_thr=0.0495, min_num=0, max_num=100)
    assert kept == [2, 5, 0, 3, 1]
    # strictly greater than the threshold: a query exactly at it is dropped
    logits = torch.tensor([[0., 0., 0.], [1., 0., 0.]])
    thr = float(logits[0].softmax(-1)[0])
    assert _select(logits, _far_boxes(2), score_thr=thr, min_num=0) == [1]


def test_min_num_falls_back_to_top_k():
    scores = [0.10, 0.60, 0.20, 0.40, 0.30]
    logits = _logits_with_score(scores, num_labels=3)
    # only query 1 passes 0.5 -> fewer than min_num=3 -> top-3 by score
    kept = _select(logits, _far_boxes(5), score_thr=0.5, min_num=3)
    assert kept == [1, 3, 4]
    # enough above the threshold -> no fallback (min_num=1)
    kept = _select(logits, _far_boxes(5), score_thr=0.25, min_num=1)
    assert kept == [1, 3, 4]
    kept = _select(logits, _far_boxes(5), score_thr=0.35, min_num=1)
    assert kept == [1, 3]
    # min_num larger than the number of queries -> all of them
    kept = _select(logits, _far_boxes(5), score_thr=0.99, min_num=100)
    assert kept == [1, 3, 4, 2, 0]


def test_class_aware_nms():
    # queries 0, 1: near-identical boxes (IoU ~0.98), same label 0
    # queries 2, 3: near-identical boxes, labels 0 and 1
    boxes = torch.tensor([[0., 0., 100., 100.], [0., 0., 100., 99.],
                          [200., 0., 300., 100.], [200., 0., 300., 99.]])
    iou01 = 99. / 100.
    assert iou01 > 0.9
    logits = torch.tensor([
        [3., 0., 0.],  # label 0, best of the pair
        [2., 0., 0.],  # label 0, suppressed
        [0., 2.5, 0.],  # label 1
        [2.2, 0., 0.],  # label 0 -> different label than query 2, kept
    ])
    kept = _select(logits, boxes, score_thr=0.0, min_num=0, nms_iou=0.9)
    probs = logits.softmax(-1)[:, :2].max(-1).values
    assert float(probs[0]) > float(probs[2]) > float(probs[3])
    # the original's order: label by label, best first within a label
    assert kept == [0, 3, 2]
    # below the IoU threshold nothing is suppressed
    kept = _select(logits, boxes, score_thr=0.0, min_num=0, nms_iou=0.995)
    assert sorted(kept) == [0, 1, 2, 3]


def test_nms_accepts_unordered_corners():
    # a box given as (x1, y1, x0, y0) is the same box for the NMS
    boxes = torch.tensor([[0., 0., 100., 100.], [100., 100., 0., 1.]])
    logits = torch.tensor([[3., 0., 0.], [2., 0., 0.]])
    assert _select(logits, boxes, score_thr=0.0, min_num=0) == [0]


def test_raw_boxes_option_inverted_box_never_suppressed():
    # the original NMSes the raw boxes: an inverted box overlaps nothing
    boxes = torch.tensor([[0., 0., 100., 100.], [100., 100., 0., 1.]])
    logits = torch.tensor([[3., 0., 0.], [2., 0., 0.]])
    assert _select(logits, boxes, score_thr=0.0, min_num=0,
                   normalize_boxes=False) == [0, 1]


def test_order_is_by_label_then_score_unless_capped():
    # labels: q0 1, q1 0, q2 1, q3 0; scores q0 > q2 > q1 > q3
    logits = torch.tensor([[0., 4., 0.], [2., 0., 0.], [0., 3., 0.],
                           [1.5, 0., 0.]])
    boxes = _far_boxes(4)
    kept = _select(logits, boxes, score_thr=0.0, min_num=0, max_num=4)
    assert kept == [1, 3, 0, 2]
    # more than max_num survive the NMS: the max_num best, best first
    kept = _select(logits, boxes, score_thr=0.0, min_num=0, max_num=3)
    assert kept == [0, 2, 1]


def test_max_num_keeps_the_best():
    scores = [0.3, 0.9, 0.5, 0.7, 0.6]
    logits = _logits_with_score(scores, num_labels=3)
    kept = _select(
        logits, _far_boxes(5), score_thr=0.0, min_num=0, max_num=2)
    assert kept == [1, 3]
    # max_num also caps the min_num fallback
    kept = _select(
        logits, _far_boxes(5), score_thr=0.99, min_num=4, max_num=3)
    assert kept == [1, 3, 4]


def test_padded_queries_never_selected():
    scores = [0.2, 0.99, 0.3, 0.98, 0.1]
    logits = _logits_with_score(scores, num_labels=3)
    pad = torch.tensor([False, True, False, True, False])
    # threshold path: the padded ones have the best scores
    kept = _select(logits, _far_boxes(5), pad, score_thr=0.15, min_num=0)
    assert kept == [2, 0]
    # fallback path with min_num larger than the valid count
    kept = _select(logits, _far_boxes(5), pad, score_thr=0.99, min_num=5)
    assert kept == [2, 0, 4]


def test_per_image_class_counts_and_background_excluded():
    # K = 5 columns; image 0 has 3 labels (2 classes + bg), image 1 has 5.
    logits = torch.tensor([
        [[0., 0., 0., 9., 9.],   # cols 3,4 outside image 0's classes
         [0., 0., 5., 0., 0.],   # high background -> low score
         [2., 0., 0., 0., 0.]],
        [[0., 0., 0., 9., 0.],   # col 3 is a class of image 1
         [0., 0., 0., 0., 5.],   # col 4 is image 1's background
         [2., 0., 0., 0., 0.]],
    ])
    boxes = torch.stack([_far_boxes(3)] * 2)
    pad = torch.zeros(2, 3, dtype=torch.bool)

    def score(row, num):
        p = row[:num].softmax(-1)
        return float(p[:num - 1].max())

    # hand values of the scores
    e = math.exp
    s00 = 1. / 3.
    s01 = 1. / (2. + e(5.))
    s02 = e(2.) / (e(2.) + 2.)
    s10 = e(9.) / (e(9.) + 4.)
    s11 = 1. / (4. + e(5.))
    s12 = e(2.) / (e(2.) + 4.)
    for got, want in [(score(logits[0, 0], 3), s00),
                      (score(logits[0, 1], 3), s01),
                      (score(logits[0, 2], 3), s02),
                      (score(logits[1, 0], 5), s10),
                      (score(logits[1, 1], 5), s11),
                      (score(logits[1, 2], 5), s12)]:
        assert got == pytest.approx(want, rel=1e-5)

    thr = 0.1  # s01 and s11 (background-dominated) are below
    assert s01 < thr and s11 < thr
    keeps = select_queries(logits, boxes, pad, [3, 5], score_thr=thr,
                           min_num=0, max_num=10, nms_iou=0.9)
    assert keeps[0].tolist() == [2, 0]  # label 0 both; s02 > s00
    assert keeps[1].tolist() == [2, 0]  # labels 0 (s12) and 3 (s10)


def test_label_used_by_nms_is_argmax_over_classes_only():
    # Both queries have the background as the largest column; their labels
    # over the non-background columns differ, so class-aware NMS keeps both.
    boxes = torch.tensor([[0., 0., 10., 10.], [0., 0., 10., 10.]])
    logits = torch.tensor([[1., 0., 5.], [0., 1., 5.]])
    kept = _select(logits, boxes, score_thr=0.0, min_num=0)
    assert sorted(kept) == [0, 1]
    logits = torch.tensor([[1., 0., 5.], [0.5, 0., 5.]])
    assert _select(logits, boxes, score_thr=0.0, min_num=0) == [0]


def test_select_queries_no_grad_and_batch():
    logits = torch.randn(3, 6, 4, requires_grad=True)
    boxes = torch.stack([_far_boxes(6)] * 3)
    pad = torch.zeros(3, 6, dtype=torch.bool)
    pad[2, 3:] = True
    keeps = select_queries(logits, boxes, pad, [4, 3, 2], score_thr=2.,
                           min_num=2, max_num=10)
    assert [len(k) for k in keeps] == [2, 2, 2]
    for b, (k, num) in enumerate(zip(keeps, [4, 3, 2])):
        assert k.dtype == torch.long and not k.requires_grad
        s = logits[b, :, :num].softmax(-1)[:, :num - 1].max(-1).values
        labels = logits[b, :, :num].softmax(-1)[:, :num - 1].argmax(-1)
        valid = (~pad[b]).nonzero().squeeze(1)
        best = valid[s[valid].argsort(descending=True)][:2]
        # grouped by label (ascending), best first within a label
        order = sorted(best.tolist(), key=lambda i: (int(labels[i]),
                                                     -float(s[i])))
        assert k.tolist() == order


# ---------------------------------------------------------------------------
# gather_queries
# ---------------------------------------------------------------------------
def test_gather_queries_values_and_padding():
    states = torch.arange(2 * 5 * 3, dtype=torch.float32).view(2, 5, 3)
    boxes = torch.arange(2 * 5 * 4, dtype=torch.float32).view(2, 5, 4) + 100
    masks = torch.arange(2 * 5 * 2 * 2).view(2, 5, 2, 2)
    keeps = [torch.tensor([4, 1, 2]), torch.tensor([3])]
    (s, b, m), pad = gather_queries([states, boxes, masks], keeps)
    assert s.shape == (2, 3, 3) and b.shape == (2, 3, 4)
    assert m.shape == (2, 3, 2, 2) and m.dtype == masks.dtype
    assert torch.equal(s[0], states[0, [4, 1, 2]])
    assert torch.equal(b[0], boxes[0, [4, 1, 2]])
    assert torch.equal(m[0], masks[0, [4, 1, 2]])
    assert torch.equal(s[1, 0], states[1, 3])
    assert torch.equal(m[1, 0], masks[1, 3])
    # zero padding after the kept ones
    assert torch.equal(s[1, 1:], torch.zeros(2, 3))
    assert torch.equal(b[1, 1:], torch.zeros(2, 4))
    assert torch.equal(m[1, 1:], torch.zeros(2, 2, 2, dtype=masks.dtype))
    assert pad.dtype == torch.bool
    assert pad.tolist() == [[False, False, False], [False, True, True]]


def test_gather_queries_empty_keep():
    t = torch.ones(2, 4, 3)
    (out, ), pad = gather_queries([t], [torch.tensor([0, 3]),
                                        torch.zeros(0, dtype=torch.long)])
    assert out.shape == (2, 2, 3)
    assert torch.equal(out[1], torch.zeros(2, 3))
    assert pad.tolist() == [[False, False], [True, True]]


def test_gather_queries_gradient_flow():
    x = torch.randn(2, 4, 3, requires_grad=True)
    keeps = [torch.tensor([2, 0]), torch.tensor([1])]
    (out, ), _ = gather_queries([x], keeps)
    weights = torch.randn(out.shape)
    (out * weights).sum().backward()
    expected = torch.zeros(2, 4, 3)
    expected[0, 2] = weights[0, 0]
    expected[0, 0] = weights[0, 1]
    expected[1, 1] = weights[1, 0]
    # padded slots receive no gradient from anywhere
    assert torch.allclose(x.grad, expected)
