# Copyright (c) docseg_mm contributors. All rights reserved.
import torch
import torch.nn as nn
from mmengine.dist import all_gather, get_rank
from mmpretrain.models.heads import MoCoV3Head

from docseg_mm.registry import MODELS


@MODELS.register_module()
class DiGContrastHead(MoCoV3Head):
    """MoCo v3 head whose predictor and contrastive loss are called apart.

    DiG runs the predictor once over the windows of both views (one set of
    BatchNorm statistics), then computes ``contrast(q1, k2) +
    contrast(q2, k1)``; mmpretrain's ``MoCoV3Head.loss`` runs the predictor
    per view. ``contrast`` is MoCo v3's loss: normalised queries against the
    keys gathered from every process (no gradient through the gather),
    positives at ``arange(N) + N * rank``, CE scaled by ``loss_weight``
    (2 * temperature in DiG).

    Args:
        predictor (dict): Predictor MLP (mmpretrain ``NonLinearNeck``).
        loss (dict): Classification loss on the logits.
        temperature (float): Softmax temperature. Defaults to 0.2.
    """

    def __init__(self, predictor: dict, loss: dict,
                 temperature: float = 0.2) -> None:
        super().__init__(predictor=predictor, loss=loss,
                         temperature=temperature)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Run the predictor on (N, C) features."""
        return self.predictor([x])[0]

    def contrast(self, pred: torch.Tensor,
                 target: torch.Tensor) -> torch.Tensor:
        """InfoNCE of (N, C) predictions against all processes' targets.

        Args:
            pred (Tensor): Online predictions.
            target (Tensor): Momentum keys of the other view, same order.

        Returns:
            Tensor: The loss.
        """
        pred = nn.functional.normalize(pred, dim=1)
        target = nn.functional.normalize(target.detach(), dim=1)
        target = torch.cat(all_gather(target), dim=0)
        logits = pred @ target.t() / self.temperature
        n = logits.shape[0]
        labels = torch.arange(n, device=logits.device) + n * get_rank()
        return self.loss_module(logits, labels)
