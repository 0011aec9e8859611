# Copyright (c) docseg_mm contributors. All rights reserved.
import itertools
import math

import numpy as np
import pytest
import torch
from mmdet.models.task_modules import HungarianAssigner
from mmdet.models.task_modules.assigners.match_cost import BaseMatchCost
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.structures import InstanceData
from scipy.optimize import linear_sum_assignment
from torchvision.ops import sigmoid_focal_loss

from docseg_mm.models.task_modules.assigners import DocSAMHungarianAssigner
from docseg_mm.models.task_modules.match_costs import (
    NormalizedBoxCost, NormalizedClassCost, NormalizedMaskCost,
    minmax_normalize, pairwise_sigmoid_focal_cost)
from docseg_mm.registry import TASK_UTILS

DOCSAM_COSTS = [
    dict(type='docseg_mm.NormalizedClassCost', weight=1.0),
    dict(type='docseg_mm.NormalizedMaskCost', weight=2.0),
    dict(type='docseg_mm.NormalizedBoxCost', weight=2.0),
]


# ---------------------------------------------------------------------------
# independent float64 reference implementations (explicit loops)
# ---------------------------------------------------------------------------
def ref_norm(c):
    c = np.asarray(c, dtype=np.float64)
    return (c - c.min()) / max(c.max() - c.min(), 1e-10)


def ref_class_cost(logits, labels):
    logits = np.asarray(logits, dtype=np.float64)
    out = np.zeros((len(logits), len(labels)))
    for q, row in enumerate(logits):
        e = np.exp(row - row.max())
        p = e / e.sum()
        for g, lab in enumerate(labels):
            out[q, g] = 1.0 - p[lab]
    return ref_norm(out)


def ref_mask_cost(logits, targets, alpha=0.25, gamma=2.0):
    logits = np.asarray(logits, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    dice = np.zeros((len(logits), len(targets)))
    focal = np.zeros_like(dice)
    for q, x in enumerate(logits):
        p = 1.0 / (1.0 + np.exp(-x))
        for g, t in enumerate(targets):
            dice[q, g] = 1 - (2 * (p * t).sum() + 1) / (p.sum() + t.sum() + 1)
            # DocSAM's pairwise focal: targets enter linearly,
            # t * FL(x, 1) + (1 - t) * FL(x, 0), averaged over the points
            fl_pos = -alpha * (1 - p)**gamma * np.log(p)
            fl_neg = -(1 - alpha) * p**gamma * np.log(1 - p)
            focal[q, g] = (t * fl_pos + (1 - t) * fl_neg).mean()
    return (ref_norm(dice) + ref_norm(focal)) / 2


def ref_diou_loss(a, b, eps=1e-7):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) -
             inter)
    iou = inter / (union + eps)
    cw = max(a[2], b[2]) - min(a[0], b[0])
    ch = max(a[3], b[3]) - min(a[1], b[1])
    rho2 = ((a[0] + a[2]) / 2 - (b[0] + b[2]) / 2)**2 + \
        ((a[1] + a[3]) / 2 - (b[1] + b[3]) / 2)**2
    return 1 - iou + rho2 / (cw**2 + ch**2 + eps)


def ref_box_cost(pred, gt):
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    l1 = np.zeros((len(pred), len(gt)))
    diou = np.zeros_like(l1)
    for q, a in enumerate(pred):
        for g, b in enumerate(gt):
            d = np.abs(a - b)
            l1[q, g] = np.where(d < 1, 0.5 * d**2, d - 0.5).mean()
            diou[q, g] = ref_diou_loss(a, b)
    return (ref_norm(l1) + ref_norm(diou)) / 2


def brute_force_assignment(cost):
    """Exhaustive minimum over injective GT -> prediction maps."""
    num_preds, num_gts = cost.shape
    best = min(
        itertools.permutations(range(num_preds), num_gts),
        key=lambda rows: sum(cost[r, g] for g, r in enumerate(rows)))
    gt_inds = np.zeros(num_preds, dtype=np.int64)
    for g, r in enumerate(best):
        gt_inds[r] = g + 1
    return gt_inds


def random_instances(seed,
                     num_preds=5,
                     num_gts=3,
                     num_points=24,
                     num_classes=4):
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(num_preds, 2, generator=gen) * 50
    wh = torch.rand(num_preds, 2, generator=gen) * 30 + 1
    gxy = torch.rand(num_gts, 2, generator=gen) * 50
    gwh = torch.rand(num_gts, 2, generator=gen) * 30 + 1
    pred = InstanceData(
        scores=torch.randn(num_preds, num_classes, generator=gen) * 2,
        masks=torch.randn(num_preds, num_points, generator=gen) * 3,
        bboxes=torch.cat([xy, xy + wh], -1))
    gt = InstanceData(
        labels=torch.randint(0, num_classes - 1, (num_gts, ), generator=gen),
        # soft targets, as produced by bilinear sampling of binary masks
        masks=torch.rand(num_gts, num_points, generator=gen).round() *
        torch.rand(num_gts, num_points, generator=gen).clamp(min=0.5),
        bboxes=torch.cat([gxy, gxy + gwh], -1))
    return pred, gt


# ---------------------------------------------------------------------------
# normalisation and individual costs
# ---------------------------------------------------------------------------
def test_minmax_normalize():
    cost = torch.tensor([[2.0, 4.0], [3.0, 6.0]])
    out = minmax_normalize(cost)
    np.testing.assert_allclose(out.numpy(), [[0, 0.5], [0.25, 1.0]])
    assert torch.equal(
        minmax_normalize(torch.full((2, 3), 7.0)), torch.zeros(2, 3))
    assert minmax_normalize(torch.zeros(4, 0)).shape == (4, 0)
    # ranges below eps are divided by eps, as in the reference
    tiny = torch.tensor([[0.0, 1e-12]], dtype=torch.float64)
    np.testing.assert_allclose(minmax_normalize(tiny).numpy(), [[0, 1e-2]])
    assert torch.isnan(minmax_normalize(torch.tensor([1.0, math.nan]))).all()


@pytest.mark.parametrize('seed', [0, 1])
def test_costs_match_reference(seed):
    pred, gt = random_instances(seed)
    labels = gt.labels.tolist()
    cls_cost = NormalizedClassCost(weight=1.5)(pred, gt)
    mask_cost = NormalizedMaskCost()(pred, gt)
    box_cost = NormalizedBoxCost()(pred, gt)
    for cost in (cls_cost, mask_cost, box_cost):
        assert cost.shape == (5, 3)
    np.testing.assert_allclose(
        cls_cost.numpy(),
        1.5 * ref_class_cost(pred.scores.numpy(), labels),
        atol=1e-5)
    np.testing.assert_allclose(
        mask_cost.numpy(),
        2.0 * ref_mask_cost(pred.masks.numpy(), gt.masks.numpy()),
        atol=1e-5)
    np.testing.assert_allclose(
        box_cost.numpy(),
        2.0 * ref_box_cost(pred.bboxes.numpy(), gt.bboxes.numpy()),
        atol=1e-5)
    # each normalised term spans [0, 1] exactly, so a single-term cost does
    assert cls_cost.min() == 0 and cls_cost.max() == pytest.approx(1.5)


def test_pairwise_focal_equals_focal_loss_for_binary_targets():
    gen = torch.Generator().manual_seed(7)
    logits = torch.randn(4, 30, generator=gen, dtype=torch.float64) * 3
    targets = (torch.rand(3, 30, generator=gen) > 0.5).double()
    cost = pairwise_sigmoid_focal_cost(logits, targets)
    expected = torch.tensor([[
        sigmoid_focal_loss(logits[q], targets[g], reduction='mean').item()
        for g in range(3)
    ] for q in range(4)],
                            dtype=torch.float64)
    torch.testing.assert_close(cost, expected, atol=1e-12, rtol=1e-9)


def test_box_cost_accepts_horizontal_boxes():
    pred, gt = random_instances(3)
    expected = NormalizedBoxCost()(pred, gt)
    pred.bboxes = HorizontalBoxes(pred.bboxes)
    gt.bboxes = HorizontalBoxes(gt.bboxes)
    torch.testing.assert_close(NormalizedBoxCost()(pred, gt), expected)


def test_mask_cost_without_masks_is_zero():
    pred, gt = random_instances(4)
    del pred.masks
    cost = NormalizedMaskCost()(pred, gt)
    assert torch.equal(cost, torch.zeros(5, 3))
    with pytest.raises(AttributeError):
        NormalizedMaskCost(skip_without_masks=False)(pred, gt)


def test_costs_with_zero_gt():
    pred, gt = random_instances(5)
    gt = gt[torch.zeros(3, dtype=torch.bool)]
    for cost in (NormalizedClassCost(), NormalizedMaskCost(),
                 NormalizedBoxCost()):
        assert cost(pred, gt).shape == (5, 0)
    for assigner in (HungarianAssigner(DOCSAM_COSTS),
                     DocSAMHungarianAssigner(DOCSAM_COSTS)):
        result = assigner.assign(pred, gt)
        assert result.num_gts == 0
        assert torch.equal(result.gt_inds, torch.zeros(5, dtype=torch.long))
        assert torch.equal(result.labels, torch.full((5, ), -1))


def test_registry_builds():
    costs = [
        TASK_UTILS.build(dict(c, type=c['type'].split('.')[1]))
        for c in DOCSAM_COSTS
    ]
    assert [type(c) for c in costs
            ] == [NormalizedClassCost, NormalizedMaskCost, NormalizedBoxCost]
    assert [c.weight for c in costs] == [1.0, 2.0, 2.0]
    assigner = TASK_UTILS.build(
        dict(type='DocSAMHungarianAssigner', match_costs=DOCSAM_COSTS))
    assert isinstance(assigner, DocSAMHungarianAssigner)


# ---------------------------------------------------------------------------
# hand-built assignments
# ---------------------------------------------------------------------------
def class_driven_instances():
    """Class probabilities chosen so that greedy and optimal differ.

    GT labels (0, 1); with cost = 1 - p[label] the raw class cost is
    q0: (0.31, 0.70), q1: (0.35, 0.999), q2: (0.995, 0.99). Greedy takes the
    smallest entry q0-g0 (0.31) and then q2-g1 (0.99): 1.30. The optimum is
    q1-g0 + q0-g1 = 1.05, i.e. gt_inds (2, 1, 0). All predictions share one
    box and one mask, so the box and mask costs only add a per-GT constant,
    which does not change the optimal assignment.
    """
    probs = torch.tensor([[0.69, 0.30, 0.01], [0.65, 0.001, 0.349],
                          [0.005, 0.01, 0.985]])
    pred = InstanceData(
        scores=probs.log(),
        bboxes=torch.tensor([[5.0, 5.0, 25.0, 15.0]]).repeat(3, 1),
        masks=torch.tensor([[2.0, -1.0, 0.5, -3.0]]).repeat(3, 1))
    gt = InstanceData(
        labels=torch.tensor([0, 1]),
        bboxes=torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 30.0, 10.0]]),
        masks=torch.tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.5, 0.0]]))
    return pred, gt


def box_driven_instances():
    """Boxes chosen so that greedy and optimal differ.

    GT g0 = [0, 0, 10, 10], g1 = [20, 0, 30, 10]. q0 is g0 shifted by +2 in
    x, q1 is g0 shifted by -3, q2 = [10, 30, 20, 40] is far below and
    equidistant from both (the maximum of both normalised terms). Raw mean
    smooth-L1: q0g0 0.75, q0g1 8.75, q1g0 1.25, q1g1 11.25, so greedy
    (q0-g0 then q1-g1) costs 12 and the optimum (q1-g0, q0-g1) 10; the DIoU
    difference (0.07) is too small to change that after normalisation.
    Class logits are identical for all queries (class cost constant per GT).
    """
    pred = InstanceData(
        scores=torch.tensor([[1.0, 0.0, -1.0]]).repeat(3, 1),
        bboxes=torch.tensor([[2.0, 0.0, 12.0, 10.0], [-3.0, 0.0, 7.0, 10.0],
                             [10.0, 30.0, 20.0, 40.0]]))
    gt = InstanceData(
        labels=torch.tensor([0, 1]),
        bboxes=torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 30.0, 10.0]]))
    return pred, gt


def greedy_assignment(cost):
    """Repeatedly take the smallest remaining entry."""
    cost = cost.copy()
    gt_inds = np.zeros(cost.shape[0], dtype=np.int64)
    for _ in range(cost.shape[1]):
        q, g = np.unravel_index(np.argmin(cost), cost.shape)
        gt_inds[q] = g + 1
        cost[q, :] = np.inf
        cost[:, g] = np.inf
    return gt_inds


@pytest.mark.parametrize('make_instances,costs', [
    (class_driven_instances, DOCSAM_COSTS),
    (box_driven_instances, [DOCSAM_COSTS[0], DOCSAM_COSTS[2]]),
])
@pytest.mark.parametrize('assigner_cls',
                         [HungarianAssigner, DocSAMHungarianAssigner])
def test_hand_built_assignment(make_instances, costs, assigner_cls):
    pred, gt = make_instances()
    result = assigner_cls(match_costs=costs).assign(pred, gt)
    expected = torch.tensor([2, 1, 0])
    assert torch.equal(result.gt_inds, expected)
    assert torch.equal(result.labels, torch.tensor([1, 0, -1]))
    # the independent total cost agrees and greedy would choose differently
    total = ref_class_cost(pred.scores.numpy(), gt.labels.tolist()) + \
        2 * ref_box_cost(pred.bboxes.numpy(), gt.bboxes.numpy())
    if 'masks' in pred:
        total = total + 2 * ref_mask_cost(pred.masks.numpy(), gt.masks.numpy())
    assert np.array_equal(brute_force_assignment(total), expected.numpy())
    assert not np.array_equal(greedy_assignment(total), expected.numpy())


@pytest.mark.parametrize('seed', [10, 11, 12])
def test_random_assignment_matches_reference(seed):
    pred, gt = random_instances(seed)
    total = ref_class_cost(pred.scores.numpy(), gt.labels.tolist()) + \
        2 * ref_mask_cost(pred.masks.numpy(), gt.masks.numpy()) + \
        2 * ref_box_cost(pred.bboxes.numpy(), gt.bboxes.numpy())
    assigner = DocSAMHungarianAssigner(DOCSAM_COSTS)
    np.testing.assert_allclose(
        assigner.compute_cost(pred, gt).numpy(), total, atol=1e-5)
    result = assigner.assign(pred, gt)
    expected = brute_force_assignment(total)
    rows, cols = linear_sum_assignment(total)
    assert np.array_equal(expected[rows], cols + 1)
    assert np.array_equal(result.gt_inds.numpy(), expected)
    assert torch.equal(result.labels[result.gt_inds > 0],
                       gt.labels[result.gt_inds[result.gt_inds > 0] - 1])


# ---------------------------------------------------------------------------
# NaN / inf handling
# ---------------------------------------------------------------------------
class FixedCost(BaseMatchCost):
    """Returns a fixed matrix (test helper)."""

    def __init__(self, matrix):
        super().__init__(weight=1.0)
        self.matrix = matrix

    def __call__(self, pred_instances, gt_instances, img_meta=None, **kwargs):
        return self.matrix.clone()


def test_nan_and_inf_are_clamped():
    matrix = torch.tensor([[math.nan, 1.0], [1.0, math.inf], [-math.inf, 5.0]])
    pred = InstanceData(scores=torch.zeros(3, 2))
    gt = InstanceData(labels=torch.tensor([0, 1]))
    assigner = DocSAMHungarianAssigner([FixedCost(matrix)])
    cost = assigner.compute_cost(pred, gt)
    expected = torch.tensor([[1e10, 1.0], [1.0, 1e10], [-1e10, 5.0]])
    assert torch.equal(cost, expected)
    # optimum: q2-g0 (-1e10) + q0-g1 (1)
    result = assigner.assign(pred, gt)
    assert torch.equal(result.gt_inds, torch.tensor([2, 0, 1]))

    # mmdet's assigner passes the raw sum to scipy, which rejects NaN
    mmdet_assigner = HungarianAssigner([dict(type='mmdet.BBoxL1Cost')])
    mmdet_assigner.match_costs = [FixedCost(matrix)]
    with pytest.raises(ValueError):
        mmdet_assigner.assign(pred, gt)


def test_nan_prediction_still_assigns_every_gt():
    pred, gt = random_instances(20)
    pred.bboxes[1, 0] = math.nan  # poisons the whole normalised box term
    assigner = DocSAMHungarianAssigner(DOCSAM_COSTS)
    cost = assigner.compute_cost(pred, gt)
    assert torch.equal(cost, torch.full((5, 3), 1e10))
    result = assigner.assign(pred, gt)
    assert sorted(result.gt_inds[result.gt_inds > 0].tolist()) == [1, 2, 3]
    assert (result.gt_inds == 0).sum() == 2
    with pytest.raises(ValueError):
        HungarianAssigner(DOCSAM_COSTS).assign(pred, gt)
