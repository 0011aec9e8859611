# Copyright (c) docseg_mm contributors. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F

from docseg_mm.registry import MODELS


def _norm(t: torch.Tensor) -> torch.Tensor:
    return F.normalize(t, dim=-1, eps=1e-10)


def centred_correlation(tokens_a: torch.Tensor,
                        tokens_b: torch.Tensor) -> torch.Tensor:
    """AlignSeg's target: cosine correlation with spatial centring.

    ``Corr = norm(A) norm(B)^T``; every row is centred
    (``Corr -= Corr.mean(-1)``) and the mean over the whole batch tensor is
    then moved back to the uncentred one (``Corr - Corr.mean() + old_mean``).

    Args:
        tokens_a (Tensor): ``(B, n, C)``.
        tokens_b (Tensor): ``(B, m, C)``.

    Returns:
        Tensor: ``(B, n, m)``.
    """
    corr = torch.einsum('bnc,bmc->bnm', _norm(tokens_a), _norm(tokens_b))
    old_mean = corr.mean()
    corr = corr - corr.mean(dim=-1, keepdim=True)
    return corr - corr.mean() + old_mean


@MODELS.register_module()
class CorrelationAlignmentLoss(nn.Module):
    """AlignSeg's prototype-image correlation alignment loss.

    For a global crop ``g`` and a local crop ``l``, with
    ``S = P_g P_l^T`` with ``P = softmax_K(max(cos(F, Q), 0) / T)`` (the
    original has no temperature: ``T = 1``) and the centred feature
    correlation ``Corr`` (no gradient, :func:`centred_correlation`)::

        loss = loss_weight * sum_{(a, j): fg_g[a] and fg_l[j]}
               -S[a, j] * (Corr[a, j] - negative_pressure)

    A **sum** over the foreground pairs of the whole batch, as the original
    (``criterion.py``; its hard-coded coefficient 0.15 is ``loss_weight``).

    Args:
        negative_pressure (float): ``b``: 0.11 for PVOC, 0.10 for COCO-Stuff.
            Defaults to 0.11.
        loss_weight (float): Defaults to 0.15.
        temperature (float): Not in the original (which has none, i.e. 1):
            the clamped cosines are divided by it before the softmax over
            the prototypes. Cosines lie in [0, 1], so with 1 the assignment
            of a token can be at most e times more likely to one prototype
            than to another, and ``S`` stays close to uniform. Defaults to
            1.0.
    """

    def __init__(self, negative_pressure: float = 0.11,
                 loss_weight: float = 0.15,
                 temperature: float = 1.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.negative_pressure = negative_pressure
        self.loss_weight = loss_weight
        self.temperature = temperature

    def forward(self, tokens_g: torch.Tensor, tokens_l: torch.Tensor,
                queries_g: torch.Tensor, queries_l: torch.Tensor,
                fg_g: torch.Tensor, fg_l: torch.Tensor) -> torch.Tensor:
        """Compute the loss for one global/local crop pair.

        Args:
            tokens_g (Tensor): ``(B, n, C)`` global-crop tokens.
            tokens_l (Tensor): ``(B, m, C)`` local-crop tokens.
            queries_g (Tensor): ``(B, K, C)`` queries adapted to the global
                crop.
            queries_l (Tensor): ``(B, K, C)`` queries adapted to the local
                crop.
            fg_g (Tensor): ``(B, n)`` foreground hint (bool or {0, 1}).
            fg_l (Tensor): ``(B, m)`` foreground hint.

        Returns:
            Tensor: Scalar loss.
        """
        with torch.no_grad():
            corr = centred_correlation(tokens_g, tokens_l)
            mask = fg_g.bool()[:, :, None] & fg_l.bool()[:, None, :]
        assign_g = torch.einsum('bnc,bkc->bnk', _norm(tokens_g),
                                _norm(queries_g))
        assign_l = torch.einsum('bmc,bkc->bmk', _norm(tokens_l),
                                _norm(queries_l))
        t = self.temperature
        sim = torch.einsum('bnk,bmk->bnm',
                           (assign_g.clamp(min=0) / t).softmax(dim=-1),
                           (assign_l.clamp(min=0) / t).softmax(dim=-1))
        loss = (-sim * (corr - self.negative_pressure))[mask].sum()
        return self.loss_weight * loss
