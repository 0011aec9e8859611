# Copyright (c) docseg_mm contributors. All rights reserved.
"""DocSAM losses: the custom classification loss and the pinned mmdet
configurations of the mask and box losses."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS as MMDET_MODELS
from torchvision.ops import distance_box_iou_loss, sigmoid_focal_loss

from docseg_mm.models.losses.background_weighted_ce import (
    BackgroundWeightedCrossEntropyLoss, background_weighted_cross_entropy)
from docseg_mm.registry import MODELS

DICE_CFG = dict(
    type='mmdet.DiceLoss',
    use_sigmoid=True,
    activate=True,
    naive_dice=True,
    eps=1.0,
    reduction='mean',
    loss_weight=5.0)
FOCAL_CFG = dict(
    type='mmdet.FocalLoss',
    use_sigmoid=True,
    gamma=2.0,
    alpha=0.25,
    reduction='mean',
    loss_weight=50.0)


def manual_weighted_ce(logits, labels, background_weight):
    logits = np.asarray(logits, dtype=np.float64)
    weights = np.ones(logits.shape[1])
    weights[-1] = background_weight
    num, den = 0.0, 0.0
    for row, lab in zip(logits, labels):
        log_prob = row[lab] - row.max() - np.log(np.exp(row - row.max()).sum())
        num += -weights[lab] * log_prob
        den += weights[lab]
    return num / den


def make_logits(seed, num_queries, num_classes):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(num_queries, num_classes, generator=gen) * 2
    labels = torch.randint(0, num_classes, (num_queries, ), generator=gen)
    labels[:num_queries // 2] = num_classes - 1  # many background queries
    return logits, labels


@pytest.mark.parametrize('background_weight', [0.1, 1.0, 0.5])
def test_background_weighted_cross_entropy(background_weight):
    logits, labels = make_logits(0, 10, 4)
    loss = background_weighted_cross_entropy(logits, labels, background_weight)
    expected = manual_weighted_ce(logits.numpy(), labels.tolist(),
                                  background_weight)
    assert loss.item() == pytest.approx(expected, abs=1e-5)


def test_background_weighted_cross_entropy_hand_values():
    # uniform logits over 3 classes: every query has CE = log(3), so the
    # weighted mean is log(3) whatever the weights
    loss = background_weighted_cross_entropy(
        torch.zeros(4, 3), torch.tensor([2, 2, 0, 1]))
    assert loss.item() == pytest.approx(np.log(3), abs=1e-6)
    # two queries: foreground CE a, background CE b, weights 1 and 0.1
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    a = np.log(1 + np.exp(-2.0))
    b = np.log(1 + np.exp(-1.0))
    loss = background_weighted_cross_entropy(logits, torch.tensor([0, 1]))
    assert loss.item() == pytest.approx((a + 0.1 * b) / 1.1, abs=1e-6)


def test_background_weighted_loss_module_averages_images():
    loss_module = MODELS.build(
        dict(
            type='BackgroundWeightedCrossEntropyLoss',
            background_weight=0.1,
            loss_weight=2.0))
    assert isinstance(loss_module, BackgroundWeightedCrossEntropyLoss)
    pairs = [make_logits(1, 8, 5), make_logits(2, 8, 3)]  # C differs
    loss = loss_module(pairs)
    expected = np.mean(
        [manual_weighted_ce(lg.numpy(), lb.tolist(), 0.1)
         for lg, lb in pairs]) * 2.0
    assert loss.item() == pytest.approx(expected, abs=1e-5)
    with pytest.raises(ValueError):
        loss_module([])


def test_background_weighted_loss_gradient():
    logits, labels = make_logits(3, 6, 4)
    logits.requires_grad_(True)
    BackgroundWeightedCrossEntropyLoss()([(logits, labels)]).backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()


def test_mmdet_dice_loss_config():
    gen = torch.Generator().manual_seed(4)
    logits = torch.randn(5, 40, generator=gen) * 3
    targets = (torch.rand(5, 40, generator=gen) > 0.6).float()
    targets[0] = 0.0  # empty target mask
    loss = MMDET_MODELS.build(DICE_CFG)(logits, targets)
    p = torch.sigmoid(logits.double()).numpy()
    t = targets.double().numpy()
    per_mask = 1 - (2 * (p * t).sum(1) + 1) / (p.sum(1) + t.sum(1) + 1)
    assert loss.item() == pytest.approx(per_mask.mean() * 5.0, abs=1e-5)


@pytest.mark.parametrize('soft', [False, True])
def test_mmdet_focal_loss_config_with_mask_targets(soft):
    # same-shape float targets take mmdet's one-hot / soft-target branch
    # (py_sigmoid_focal_loss), which equals torchvision's focal loss
    gen = torch.Generator().manual_seed(5)
    logits = torch.randn(6, 50, generator=gen) * 3
    targets = (torch.rand(6, 50, generator=gen) > 0.5).float()
    if soft:
        targets = targets * torch.rand(6, 50, generator=gen)
    loss = MMDET_MODELS.build(FOCAL_CFG)(logits, targets)
    expected = sigmoid_focal_loss(
        logits, targets, alpha=0.25, gamma=2.0, reduction='mean') * 50.0
    assert loss.item() == pytest.approx(expected.item(), abs=1e-5)
    # and the explicit formula, in float64
    x = logits.double().numpy()
    t = targets.double().numpy()
    p = 1 / (1 + np.exp(-x))
    ce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    p_t = p * t + (1 - p) * (1 - t)
    alpha_t = 0.25 * t + 0.75 * (1 - t)
    manual = (alpha_t * (1 - p_t)**2 * ce).mean() * 50.0
    assert loss.item() == pytest.approx(manual, abs=1e-4, rel=1e-5)


def random_boxes(gen, num):
    xy = torch.rand(num, 2, generator=gen) * 200
    wh = torch.rand(num, 2, generator=gen) * 150 + 2
    return torch.cat([xy, xy + wh], -1)


def test_mmdet_diou_loss_config():
    gen = torch.Generator().manual_seed(6)
    pred, gt = random_boxes(gen, 8), random_boxes(gen, 8)
    gt[:3] = pred[:3] + torch.tensor([3.0, -2.0, 5.0, 1.0])  # overlapping
    expected = distance_box_iou_loss(pred, gt, reduction='mean')
    loss = MMDET_MODELS.build(dict(type='mmdet.DIoULoss', loss_weight=1.0))(pred, gt)
    assert loss.item() == pytest.approx(expected.item(), abs=1e-5)
    # eps=1e-7 makes the two implementations coincide term by term
    loss = MMDET_MODELS.build(dict(type='mmdet.DIoULoss', eps=1e-7))(
        pred, gt, reduction_override='none')
    torch.testing.assert_close(
        loss, distance_box_iou_loss(pred, gt), atol=1e-6, rtol=1e-6)


def test_mmdet_smooth_l1_loss_config():
    gen = torch.Generator().manual_seed(7)
    pred, gt = random_boxes(gen, 8), random_boxes(gen, 8)
    gt[:4] = pred[:4] + torch.rand(4, 4, generator=gen) * 50  # |d| < 1
    loss = MMDET_MODELS.build(dict(type='mmdet.SmoothL1Loss', beta=1.0))(pred / 100,
                                                                   gt / 100)
    expected = F.smooth_l1_loss(pred / 100, gt / 100, beta=1.0)
    assert loss.item() == pytest.approx(expected.item(), abs=1e-6)
    d = np.abs((pred - gt).double().numpy() / 100)
    manual = np.where(d < 1, 0.5 * d**2, d - 0.5).mean()
    assert loss.item() == pytest.approx(manual, abs=1e-6)


def test_mmdet_losses_reachable_from_docseg_scope():
    dice = MODELS.build(dict(DICE_CFG, type='mmdet.DiceLoss'))
    focal = MODELS.build(dict(FOCAL_CFG, type='mmdet.FocalLoss'))
    assert (dice.loss_weight, dice.eps, dice.naive_dice) == (5.0, 1.0, True)
    assert (focal.loss_weight, focal.alpha, focal.gamma) == (50.0, 0.25, 2.0)
