# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from docseg_mm.registry import MODELS


@MODELS.register_module()
class QueryContrastiveLoss(nn.Module):
    """AlignSeg's global-local query alignment (NT-Xent over queries).

    Per sample, ``z = [norm(Q_g); norm(Q_l)]`` (``2K x C``) and
    ``sim = z z^T / temperature``. Row ``k`` has the positive ``(k, K + k)``
    (and row ``K + k`` the positive ``(K + k, k)``); every other
    off-diagonal entry (``2K - 2`` of them) is a negative. Cross-entropy with
    the positive as the target, averaged over the ``2K`` rows, then over the
    batch (``criterion.py::query_ce_loss``).

    Args:
        temperature (float): ``ce_temperature``. Defaults to 1.0.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, temperature: float = 1.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, queries_g: torch.Tensor,
                queries_l: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Compute the loss and the top-1 accuracy of the positives.

        Args:
            queries_g (Tensor): ``(B, K, C)``.
            queries_l (Tensor): ``(B, K, C)``.

        Returns:
            tuple[Tensor, Tensor]: Scalar loss and the fraction of rows whose
            positive has the largest logit.
        """
        b, k, _ = queries_g.shape
        z = F.normalize(torch.cat((queries_g, queries_l), dim=1), dim=-1,
                        eps=1e-10)
        sim = z @ z.transpose(1, 2) / self.temperature  # (B, 2K, 2K)
        rows = torch.arange(2 * k, device=z.device)
        partner = (rows + k) % (2 * k)
        # Logits without the diagonal; the positive is where it sits.
        off_diag = ~torch.eye(2 * k, dtype=torch.bool, device=z.device)
        logits = sim[:, off_diag].reshape(b, 2 * k, 2 * k - 1)
        target = partner - (partner > rows).long()
        loss = F.cross_entropy(
            logits.reshape(-1, 2 * k - 1), target.repeat(b))
        acc = (logits.argmax(-1) == target).float().mean()
        return self.loss_weight * loss, acc
