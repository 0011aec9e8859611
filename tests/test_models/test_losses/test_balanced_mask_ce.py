# Copyright (c) docseg_mm contributors. All rights reserved.
import math

import torch

from docseg_mm.models.losses import balanced_mask_ce


def test_balanced_ce_by_hand():
    # one image, 3 classes, 4 pixels: labels bg, bg, c2, ignored
    logits = torch.tensor([[1.0, 0.0, 2.0, 0.5], [0.0, 1.0, 0.0, 0.5],
                           [0.0, 0.0, 1.0, 0.5]]).view(1, 3, 1, 4)
    onehot = torch.tensor([[1, 1, 0, 0], [0, 0, 0, 0],
                           [0, 0, 1, 0]]).float().view(1, 3, 1, 4)
    ce = lambda p, c: -(logits[0, c, 0, p] - torch.logsumexp(
        logits[0, :, 0, p], 0))
    w_bg, w_c2 = (3 - 2) / (1 + 3), (3 - 1) / (1 + 3)
    expected = (w_bg * ce(0, 0) + w_bg * ce(1, 0) + w_c2 * ce(2, 2)) / 4
    labels = torch.tensor([[0., 1.]])  # image labels: class 2 only
    out = balanced_mask_ce(logits, onehot, labels)
    assert math.isclose(out.item(), expected.item(), rel_tol=1e-6)
    # the gate: labels say class 1 too -> pseudo labels miss it -> 0
    assert balanced_mask_ce(logits, onehot, torch.tensor([[1., 1.]])) == 0
    ungated = balanced_mask_ce(logits, onehot, batch_gate=False)
    assert math.isclose(ungated.item(), expected.item(), rel_tol=1e-6)


def test_logits_are_resized_to_labels():
    logits = torch.zeros(2, 3, 2, 2)
    onehot = torch.zeros(2, 3, 5, 5)
    onehot[:, 0] = 1
    out = balanced_mask_ce(logits, onehot, batch_gate=False)
    # a single class: weight (N - N_0) / (1 + N) = 0
    assert torch.equal(out, torch.zeros(2))
