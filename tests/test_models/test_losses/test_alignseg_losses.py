# Copyright (c) docseg_mm contributors. All rights reserved.
"""AlignSeg's two losses against computations written out here."""
import math

import pytest
import torch

from docseg_mm.models import (ClusterBalanceLoss, CorrelationAlignmentLoss,
                              QueryContrastiveLoss)


def _cos(a, b):
    return float(a @ b) / max(float(a.norm() * b.norm()), 1e-10)


def _softmax(v):
    e = [math.exp(x) for x in v]
    return [x / sum(e) for x in e]


def reference_corr_loss(tg, tl, qg, ql, fg_g, fg_l, b_neg, coef, temp=1.):
    """criterion.py step by step, with Python loops (``temp`` divides the
    clamped cosines; the original has none, i.e. 1)."""
    bsz, n, m, k = tg.shape[0], tg.shape[1], tl.shape[1], qg.shape[1]
    corr = [[[_cos(tg[b, a], tl[b, j]) for j in range(m)] for a in range(n)]
            for b in range(bsz)]
    old_mean = sum(sum(sum(r) for r in c) for c in corr) / (bsz * n * m)
    for b in range(bsz):
        for a in range(n):
            row = sum(corr[b][a]) / m
            corr[b][a] = [v - row for v in corr[b][a]]
    new_mean = sum(sum(sum(r) for r in c) for c in corr) / (bsz * n * m)
    total = 0.
    for b in range(bsz):
        pg = [_softmax([max(_cos(tg[b, a], qg[b, q]), 0) / temp
                        for q in range(k)]) for a in range(n)]
        pl = [_softmax([max(_cos(tl[b, j], ql[b, q]), 0) / temp
                        for q in range(k)]) for j in range(m)]
        for a in range(n):
            for j in range(m):
                if fg_g[b, a] and fg_l[b, j]:
                    s = sum(pg[a][q] * pl[j][q] for q in range(k))
                    c = corr[b][a][j] - new_mean + old_mean
                    total += -s * (c - b_neg)
    return coef * total


def test_correlation_loss_closed_form():
    # One token per crop, identical, and queries e1, e2: cos = (1, 0) for
    # both, S = (e^2 + 1) / (e + 1)^2, Corr = 1 (one entry: centring then
    # moving the mean back gives the original value).
    e = math.e
    t = torch.tensor([[[1., 0.]]])
    q = torch.tensor([[[1., 0.], [0., 1.]]])
    fg = torch.ones(1, 1, dtype=torch.bool)
    loss = CorrelationAlignmentLoss(0.11, 0.15)(t, t, q, q, fg, fg)
    expected = 0.15 * -(e**2 + 1) / (e + 1)**2 * (1 - 0.11)
    assert math.isclose(float(loss), expected, rel_tol=1e-6)


def test_correlation_loss_temperature_closed_form():
    # As above with T = 0.25: softmax over (1 / T, 0) = (e^4, 1) / (e^4 + 1),
    # S = (e^8 + 1) / (e^4 + 1)^2.
    e4 = math.exp(4.)
    t = torch.tensor([[[1., 0.]]])
    q = torch.tensor([[[1., 0.], [0., 1.]]])
    fg = torch.ones(1, 1, dtype=torch.bool)
    loss = CorrelationAlignmentLoss(0.5, 0.15, temperature=0.25)(t, t, q, q,
                                                                fg, fg)
    expected = 0.15 * -(e4**2 + 1) / (e4 + 1)**2 * (1 - 0.5)
    assert math.isclose(float(loss), expected, rel_tol=1e-6)


def test_correlation_loss_temperature_matches_loops():
    g = torch.Generator().manual_seed(1)
    tg, tl = torch.randn(2, 5, 8, generator=g), torch.randn(2, 4, 8,
                                                             generator=g)
    qg, ql = torch.randn(2, 3, 8, generator=g), torch.randn(2, 3, 8,
                                                            generator=g)
    fg_g = torch.rand(2, 5, generator=g) > 0.3
    fg_l = torch.rand(2, 4, generator=g) > 0.3
    loss = CorrelationAlignmentLoss(0.4, 0.15, temperature=0.2)(
        tg, tl, qg, ql, fg_g, fg_l)
    ref = reference_corr_loss(tg, tl, qg, ql, fg_g, fg_l, 0.4, 0.15, 0.2)
    assert math.isclose(float(loss), ref, rel_tol=1e-5, abs_tol=1e-6)
    with pytest.raises(ValueError, match='temperature'):
        CorrelationAlignmentLoss(temperature=0.)


def test_correlation_loss_matches_loops_and_is_a_masked_sum():
    g = torch.Generator().manual_seed(0)
    tg, tl = torch.randn(2, 6, 8, generator=g), torch.randn(2, 5, 8,
                                                             generator=g)
    qg, ql = torch.randn(2, 3, 8, generator=g), torch.randn(2, 3, 8,
                                                            generator=g)
    fg_g = torch.rand(2, 6, generator=g) > 0.3
    fg_l = torch.rand(2, 5, generator=g) > 0.3
    loss_fn = CorrelationAlignmentLoss(negative_pressure=0.1, loss_weight=0.15)
    loss = loss_fn(tg, tl, qg, ql, fg_g, fg_l)
    ref = reference_corr_loss(tg, tl, qg, ql, fg_g, fg_l, 0.1, 0.15)
    assert math.isclose(float(loss), ref, rel_tol=1e-5, abs_tol=1e-6)
    # A sum: doubling the batch doubles the loss.
    cat = lambda *t: torch.cat(t)  # noqa
    loss2 = loss_fn(cat(tg, tg), cat(tl, tl), cat(qg, qg), cat(ql, ql),
                    cat(fg_g, fg_g), cat(fg_l, fg_l))
    assert math.isclose(float(loss2), 2 * float(loss), rel_tol=1e-5)
    # Background pairs contribute nothing; the target gets no gradient.
    none = loss_fn(tg, tl, qg, ql, torch.zeros_like(fg_g), fg_l)
    assert float(none) == 0.
    tg.requires_grad_(True)
    qg.requires_grad_(True)
    loss_fn(tg, tl, qg, ql, fg_g, fg_l).backward()
    assert qg.grad.abs().sum() > 0


def reference_query_loss(qg, ql, t):
    """query_ce_loss: per sample, rows of [Q_g; Q_l], positive k <-> K + k,
    the other 2K - 2 off-diagonal entries are negatives."""
    bsz, k = qg.shape[:2]
    total, correct = 0., 0
    for b in range(bsz):
        z = [v / v.norm() for v in torch.cat((qg[b], ql[b]))]
        for r in range(2 * k):
            pos = (r + k) % (2 * k)
            logits = [float(z[r] @ z[c]) / t for c in range(2 * k) if c != r]
            others = [c for c in range(2 * k) if c != r]
            p = logits[others.index(pos)]
            total += -(p - math.log(sum(math.exp(v) for v in logits)))
            correct += max(logits) == p
    return total / (bsz * 2 * k), correct / (bsz * 2 * k)


def test_query_loss_closed_form():
    # Q_g = Q_l = (e1, e2): each row has logits 1 (positive), 0, 0.
    q = torch.tensor([[[1., 0., 0., 0.], [0., 1., 0., 0.]]])
    loss, acc = QueryContrastiveLoss(temperature=1.0)(q, q)
    assert math.isclose(float(loss), math.log(1 + 2 / math.e), rel_tol=1e-6)
    assert float(acc) == 1.


def test_query_loss_matches_loops():
    g = torch.Generator().manual_seed(1)
    qg, ql = torch.randn(3, 5, 16, generator=g), torch.randn(3, 5, 16,
                                                             generator=g)
    for t in (1.0, 0.5):
        loss, acc = QueryContrastiveLoss(temperature=t, loss_weight=2.)(qg,
                                                                        ql)
        ref, ref_acc = reference_query_loss(qg, ql, t)
        assert math.isclose(float(loss), 2 * ref, rel_tol=1e-5)
        assert math.isclose(float(acc), ref_acc, rel_tol=1e-6)


def reference_balance_loss(cos, mask, weight, temp):
    """Entropy deficit of the mean assignment, with Python loops."""
    k = cos.shape[-1]
    rows = [_softmax([max(float(v), 0) / temp for v in cos[b, n]])
            for b in range(cos.shape[0]) for n in range(cos.shape[1])
            if mask is None or mask[b, n]]
    mean = [sum(r[q] for r in rows) / len(rows) for q in range(k)]
    return weight * (math.log(k) + sum(p * math.log(p) for p in mean))


def test_cluster_balance_loss_closed_form():
    # Two tokens with cos (1, 0) and (0, 1): P = (e, 1) / (e + 1) and
    # (1, e) / (e + 1), mean (1/2, 1/2), entropy log 2: loss 0.
    e = math.e
    cos = torch.tensor([[[1., 0.], [0., 1.]]])
    assert abs(float(ClusterBalanceLoss(3.)(cos))) < 1e-6
    # Masking the second token leaves p = (e, 1) / (e + 1).
    p = (e / (e + 1), 1 / (e + 1))
    expected = 3. * (math.log(2) + p[0] * math.log(p[0]) +
                     p[1] * math.log(p[1]))
    loss = ClusterBalanceLoss(3.)(cos, torch.tensor([[True, False]]))
    assert math.isclose(float(loss), expected, rel_tol=1e-6)
    # A collapse (every token one-hot on prototype 0) costs weight * log K.
    sharp = torch.tensor([[[1., 0., 0.], [1., 0., 0.]]])
    loss = ClusterBalanceLoss(2., temperature=1e-3)(sharp)
    assert math.isclose(float(loss), 2 * math.log(3), rel_tol=1e-4)


def test_cluster_balance_loss_matches_loops():
    g = torch.Generator().manual_seed(3)
    cos = torch.rand(2, 6, 4, generator=g) * 2 - 1  # negatives are clamped
    mask = torch.rand(2, 6, generator=g) > 0.4
    for m, temp in ((None, 1.), (mask, 0.2)):
        loss = ClusterBalanceLoss(0.7, temperature=temp)(cos, m)
        assert math.isclose(float(loss),
                            reference_balance_loss(cos, m, 0.7, temp),
                            rel_tol=1e-5, abs_tol=1e-7)
    with pytest.raises(ValueError):
        ClusterBalanceLoss(temperature=0.)
