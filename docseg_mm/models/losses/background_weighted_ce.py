# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from docseg_mm.registry import MODELS


def background_weighted_cross_entropy(
        logits: Tensor,
        labels: Tensor,
        background_weight: float = 0.1) -> Tensor:
    """Cross entropy with a down-weighted background (last) class.

    ``sum_q w[y_q] * CE_q / sum_q w[y_q]`` with ``w = 1`` for every class and
    ``w = background_weight`` for the background, which is the last column
    (index ``C - 1``). This is ``F.cross_entropy(weight=w,
    reduction='mean')``, DocSAM's per-image classification loss (unmatched
    queries are labelled ``C - 1``).

    Args:
        logits (Tensor): Class logits of shape (Q, C), background last.
        labels (Tensor): Target class indices in [0, C - 1], shape (Q, ).
        background_weight (float): Class weight of the background.
            Defaults to 0.1.

    Returns:
        Tensor: Scalar loss.
    """
    class_weight = torch.ones(
        logits.shape[-1], dtype=logits.dtype, device=logits.device)
    class_weight[-1] = background_weight
    return F.cross_entropy(
        logits, labels.long(), weight=class_weight, reduction='mean')


@MODELS.register_module()
class BackgroundWeightedCrossEntropyLoss(nn.Module):
    """Image-averaged background-weighted cross entropy.

    Each image has its own label set (its classes plus a background column),
    so the loss takes a list of per-image ``(logits, labels)`` pairs, applies
    :func:`background_weighted_cross_entropy` to each and averages the
    results over the images.

    Args:
        background_weight (float): Class weight of the background (last)
            class. Defaults to 0.1.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 background_weight: float = 0.1,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.background_weight = background_weight
        self.loss_weight = loss_weight

    def forward(self, inputs: Sequence[Tuple[Tensor, Tensor]]) -> Tensor:
        """Compute the loss.

        Args:
            inputs (Sequence[Tuple[Tensor, Tensor]]): One ``(logits, labels)``
                pair per image, logits of shape (Q_i, C_i) with the
                background last and labels of shape (Q_i, ).

        Returns:
            Tensor: Scalar loss, the mean over images times ``loss_weight``.
        """
        if len(inputs) == 0:
            raise ValueError('at least one image is required')
        losses = [
            background_weighted_cross_entropy(logits, labels,
                                              self.background_weight)
            for logits, labels in inputs
        ]
        return torch.stack(losses).mean() * self.loss_weight
