# Copyright (c) docseg_mm contributors. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F

from docseg_mm.registry import MODELS


@MODELS.register_module()
class SeqCrossEntropyLoss(nn.Module):
    """Cross-entropy over the first ``length`` positions of each sequence.

    DiG's ``SeqCrossEntropyLoss``: the per-token negative log-likelihoods of
    the valid positions (end token included) are summed and divided by the
    batch size (``normalize='batch'``); ``normalize='tokens'`` divides by the
    number of valid positions instead (mmocr's CE).

    Args:
        normalize (str): 'batch' or 'tokens'. Defaults to 'batch'.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, normalize: str = 'batch',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if normalize not in ('batch', 'tokens'):
            raise ValueError("normalize must be 'batch' or 'tokens'")
        self.normalize = normalize
        self.loss_weight = loss_weight

    def forward(self, logits: torch.Tensor, targets: torch.Tensor,
                lengths: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): (B, T, C).
            targets (Tensor): (B, T) class indices.
            lengths (Tensor): (B,) valid positions per sequence.

        Returns:
            Tensor: The loss.
        """
        b, t, c = logits.shape
        valid = torch.arange(t, device=logits.device)[None] < lengths.to(
            logits.device)[:, None]
        nll = F.cross_entropy(logits.reshape(-1, c), targets.reshape(-1),
                              reduction='none').view(b, t)
        total = (nll * valid).sum()
        denom = b if self.normalize == 'batch' else valid.sum().clamp(min=1)
        return self.loss_weight * total / denom
