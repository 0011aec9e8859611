# Copyright (c) docseg_mm contributors. All rights reserved.
import math
from typing import Optional

import torch
import torch.nn as nn

from docseg_mm.registry import MODELS


@MODELS.register_module()
class ClusterBalanceLoss(nn.Module):
    """Cluster-balance (equipartition) term: the entropy of the batch-mean
    assignment, maximised. Not in AlignSeg.

    With ``P = softmax_K(max(cos, 0) / T)`` per token (the assignment of
    :class:`CorrelationAlignmentLoss`) and ``p`` the mean of ``P`` over the
    tokens of the whole batch (only those with ``mask`` set, if given)::

        loss = loss_weight * (log K - H(p)),  H(p) = -sum_k p_k log p_k

    It is 0 when the prototypes are used equally over the batch and
    ``loss_weight * log K`` when one prototype takes every token. It
    pushes against a collapse onto a few prototypes without asking every
    image (or token) to use all of them, as the marginal term of IIC / the
    equipartition constraint of SwAV do.

    Args:
        loss_weight (float): Defaults to 1.0.
        temperature (float): Softmax temperature over the clamped cosines;
            use the correlation loss's. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0,
                 temperature: float = 1.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.loss_weight = loss_weight
        self.temperature = temperature

    def forward(self, cos: torch.Tensor,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute the loss.

        Args:
            cos (Tensor): ``(B, N, K)`` cosine of tokens to prototypes.
            mask (Tensor, optional): ``(B, N)`` tokens to count (bool or
                {0, 1}); all when None or when no token is set.
                Defaults to None.

        Returns:
            Tensor: Scalar loss.
        """
        probs = (cos.clamp(min=0) / self.temperature).softmax(dim=-1)
        probs = probs.reshape(-1, probs.shape[-1])
        if mask is not None and mask.bool().any():
            probs = probs[mask.bool().reshape(-1)]
        mean = probs.mean(dim=0)
        entropy = -(mean * mean.clamp(min=1e-12).log()).sum()
        return self.loss_weight * (math.log(cos.shape[-1]) - entropy)
