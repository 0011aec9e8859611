# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Optional, Union

import torch
import torch.nn.functional as F
from mmdet.models.task_modules.assigners.match_cost import BaseMatchCost
from mmengine.structures import InstanceData
from torch import Tensor

from docseg_mm.registry import TASK_UTILS
from .utils import minmax_normalize


def pairwise_sigmoid_dice_cost(pred_logits: Tensor,
                               gt_masks: Tensor,
                               smooth: float = 1.0) -> Tensor:
    """Dice loss between every predicted and every ground-truth mask.

    ``1 - (2 * sum(p * t) + smooth) / (sum(p) + sum(t) + smooth)`` with
    ``p = sigmoid(pred_logits)``, sums over the points.

    Args:
        pred_logits (Tensor): Mask logits of shape (num_preds, D).
        gt_masks (Tensor): Soft or binary masks of shape (num_gts, D).
        smooth (float): Additive smoothing of numerator and denominator.
            Defaults to 1.0.

    Returns:
        Tensor: Cost matrix of shape (num_preds, num_gts).
    """
    probs = pred_logits.sigmoid()
    numerator = 2.0 * probs @ gt_masks.t()
    denominator = probs.sum(-1)[:, None] + gt_masks.sum(-1)[None, :]
    return 1.0 - (numerator + smooth) / (denominator + smooth)


def pairwise_sigmoid_focal_cost(pred_logits: Tensor,
                                gt_masks: Tensor,
                                alpha: float = 0.25,
                                gamma: float = 2.0) -> Tensor:
    """Point-averaged sigmoid focal loss for every prediction/GT pair.

    Positive/negative decomposition as in DocSAM (and Mask2Former):
    ``t * FL(x, 1) + (1 - t) * FL(x, 0)`` with
    ``FL(x, 1) = alpha * (1 - p)^gamma * BCE(x, 1)`` and
    ``FL(x, 0) = (1 - alpha) * p^gamma * BCE(x, 0)``, summed over the D
    points and divided by D. This equals the sigmoid focal loss for binary
    targets; for soft targets (bilinearly sampled mask borders) it is the
    linear interpolation between the two binary losses, which differs from
    the focal loss with a soft target because the modulating factor is not
    linear in ``t``.

    Args:
        pred_logits (Tensor): Mask logits of shape (num_preds, D).
        gt_masks (Tensor): Soft or binary masks of shape (num_gts, D).
        alpha (float): Weight of the positive term. Defaults to 0.25.
        gamma (float): Focusing exponent. Defaults to 2.0.

    Returns:
        Tensor: Cost matrix of shape (num_preds, num_gts).
    """
    num_points = pred_logits.shape[-1]
    probs = pred_logits.sigmoid()
    ce_pos = F.binary_cross_entropy_with_logits(
        pred_logits, torch.ones_like(pred_logits), reduction='none')
    ce_neg = F.binary_cross_entropy_with_logits(
        pred_logits, torch.zeros_like(pred_logits), reduction='none')
    focal_pos = alpha * (1.0 - probs).pow(gamma) * ce_pos
    focal_neg = (1.0 - alpha) * probs.pow(gamma) * ce_neg
    cost = focal_pos @ gt_masks.t() + focal_neg @ (1.0 - gt_masks).t()
    return cost / max(num_points, 1)


@TASK_UTILS.register_module()
class NormalizedMaskCost(BaseMatchCost):
    """Min-max normalised dice + focal mask cost (DocSAM).

    ``weight * (norm(dice) + norm(focal)) / 2`` where both terms come from
    :func:`pairwise_sigmoid_dice_cost` and :func:`pairwise_sigmoid_focal_cost`
    and ``norm`` is :func:`minmax_normalize` over the cost matrix. The masks
    are expected already point-sampled on a shared set of points (see
    :func:`docseg_mm.models.utils.point_sample_grid.sample_points`); any
    trailing dimensions are flattened.

    Args:
        alpha (float): Focal loss alpha. Defaults to 0.25.
        gamma (float): Focal loss gamma. Defaults to 2.0.
        smooth (float): Dice smoothing term. Defaults to 1.0.
        skip_without_masks (bool): Return an all-zero cost when the
            predictions or the ground truth carry no ``masks`` (DocSAM's first
            prediction set has no instance masks), so one assigner serves all
            decoder layers. Defaults to True.
        weight (float | int): Cost weight. Defaults to 2.0.
    """

    def __init__(self,
                 alpha: float = 0.25,
                 gamma: float = 2.0,
                 smooth: float = 1.0,
                 skip_without_masks: bool = True,
                 weight: Union[float, int] = 2.0) -> None:
        super().__init__(weight=weight)
        self.alpha = alpha
        self.gamma = gamma
        self.smooth = smooth
        self.skip_without_masks = skip_without_masks

    def __call__(self,
                 pred_instances: InstanceData,
                 gt_instances: InstanceData,
                 img_meta: Optional[dict] = None,
                 **kwargs) -> Tensor:
        """Compute the weighted, normalised mask cost.

        Args:
            pred_instances (:obj:`InstanceData`): Must contain ``masks``,
                point-sampled mask logits of shape (num_preds, D).
            gt_instances (:obj:`InstanceData`): Must contain ``masks``,
                the ground truth sampled at the same points, (num_gts, D).
            img_meta (dict, optional): Image information. Unused.
                Defaults to None.

        Returns:
            Tensor: Cost matrix of shape (num_preds, num_gts).
        """
        if self.skip_without_masks and ('masks' not in pred_instances
                                        or 'masks' not in gt_instances):
            device = gt_instances.labels.device
            return torch.zeros((len(pred_instances), len(gt_instances)),
                               device=device)
        pred_logits = pred_instances.masks.flatten(1).float()
        gt_masks = gt_instances.masks.flatten(1).to(pred_logits)
        dice = pairwise_sigmoid_dice_cost(pred_logits, gt_masks, self.smooth)
        focal = pairwise_sigmoid_focal_cost(pred_logits, gt_masks, self.alpha,
                                            self.gamma)
        cost = (minmax_normalize(dice) + minmax_normalize(focal)) / 2.0
        return cost * self.weight
