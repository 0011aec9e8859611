# Copyright (c) docseg_mm contributors. All rights reserved.
import pytest
import torch

from docseg_mm.models import LayoutMaskHead


def focal_by_hand(x: torch.Tensor, t: torch.Tensor, alpha=0.25, gamma=2.0):
    """Sigmoid focal loss written out element by element."""
    total = 0.
    for xi, ti in zip(x.flatten().tolist(), t.flatten().tolist()):
        p = 1 / (1 + torch.exp(torch.tensor(-xi, dtype=torch.float64)))
        ce = -(ti * torch.log(p) + (1 - ti) * torch.log(1 - p))
        p_t = p * ti + (1 - p) * (1 - ti)
        a_t = alpha * ti + (1 - alpha) * (1 - ti)
        total += float(a_t * (1 - p_t)**gamma * ce)
    return total / x.numel()


@pytest.mark.parametrize('faithful', [False, True])
def test_focal_loss_matches_formula(faithful):
    torch.manual_seed(0)
    head = LayoutMaskHead(in_channels=4)
    feats = torch.randn(2, 4, 3, 5)
    target = (torch.rand(2, 3, 5) > 0.5).float()
    loss = head.loss(feats, target)['loss_layout']
    logits = head(feats).detach()
    if faithful is False:
        expected = focal_by_hand(logits, target)
    else:
        head.faithful = True
        loss = head.loss(feats, target)['loss_layout']
        # The original feeds sigmoid outputs to a loss that applies sigmoid.
        expected = focal_by_hand(logits.sigmoid(), target)
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_faithful_prediction_is_confined():
    head = LayoutMaskHead(in_channels=1, faithful=True)
    with torch.no_grad():
        head.conv.weight.fill_(100.)
        head.conv.bias.zero_()
    feats = torch.tensor([-1., 1.]).view(2, 1, 1, 1)
    # Even extreme logits give sigmoid(sigmoid(x)) in (0.5, 0.73): the loss
    # of a perfect prediction stays well above zero.
    loss = head.loss(feats, torch.tensor([0., 1.]).view(2, 1, 1))
    assert loss['loss_layout'].item() > 0.01
    head.faithful = False
    loss = head.loss(feats, torch.tensor([0., 1.]).view(2, 1, 1))
    assert loss['loss_layout'].item() < 1e-10
