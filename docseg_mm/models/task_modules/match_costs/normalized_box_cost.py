# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Optional, Tuple, Union

import torch.nn.functional as F
from mmdet.models.task_modules.assigners.match_cost import BaseMatchCost
from mmdet.structures.bbox import get_box_tensor
from mmengine.structures import InstanceData
from torch import Tensor
from torchvision.ops import distance_box_iou_loss

from docseg_mm.registry import TASK_UTILS
from .utils import minmax_normalize


def pairwise_smooth_l1_cost(pred_bboxes: Tensor,
                            gt_bboxes: Tensor,
                            beta: float = 1.0) -> Tensor:
    """Smooth-L1 distance, averaged over the 4 coordinates, for every pair.

    Args:
        pred_bboxes (Tensor): Boxes of shape (num_preds, 4).
        gt_bboxes (Tensor): Boxes of shape (num_gts, 4).
        beta (float): Smooth-L1 transition point. Defaults to 1.0.

    Returns:
        Tensor: Cost matrix of shape (num_preds, num_gts).
    """
    pred, gt = _pairs(pred_bboxes, gt_bboxes)
    return F.smooth_l1_loss(pred, gt, reduction='none', beta=beta).mean(-1)


def pairwise_diou_cost(pred_bboxes: Tensor,
                       gt_bboxes: Tensor,
                       eps: float = 1e-7) -> Tensor:
    """DIoU loss ``1 - IoU + rho^2 / c^2`` for every (xyxy) box pair.

    Computed with ``torchvision.ops.distance_box_iou_loss``, whose ``eps``
    also guards the union, so degenerate (zero-area) boxes give finite costs.

    Args:
        pred_bboxes (Tensor): Boxes of shape (num_preds, 4).
        gt_bboxes (Tensor): Boxes of shape (num_gts, 4).
        eps (float): Numerical stabiliser. Defaults to 1e-7.

    Returns:
        Tensor: Cost matrix of shape (num_preds, num_gts).
    """
    pred, gt = _pairs(pred_bboxes, gt_bboxes)
    return distance_box_iou_loss(pred, gt, reduction='none', eps=eps)


def _pairs(pred_bboxes: Tensor, gt_bboxes: Tensor) -> Tuple[Tensor, Tensor]:
    """Broadcast both box sets to (num_preds, num_gts, 4)."""
    shape = (pred_bboxes.shape[0], gt_bboxes.shape[0], 4)
    return (pred_bboxes[:, None, :].expand(shape),
            gt_bboxes[None, :, :].expand(shape))


@TASK_UTILS.register_module()
class NormalizedBoxCost(BaseMatchCost):
    """Min-max normalised smooth-L1 + DIoU box cost (DocSAM).

    ``weight * (norm(smooth_l1) + norm(1 - DIoU)) / 2`` on xyxy boxes in
    pixels, ``norm`` being :func:`minmax_normalize` over the cost matrix.

    Args:
        beta (float): Smooth-L1 transition point (in pixels).
            Defaults to 1.0.
        eps (float): DIoU numerical stabiliser. Defaults to 1e-7.
        weight (float | int): Cost weight. Defaults to 2.0.
    """

    def __init__(self,
                 beta: float = 1.0,
                 eps: float = 1e-7,
                 weight: Union[float, int] = 2.0) -> None:
        super().__init__(weight=weight)
        self.beta = beta
        self.eps = eps

    def __call__(self,
                 pred_instances: InstanceData,
                 gt_instances: InstanceData,
                 img_meta: Optional[dict] = None,
                 **kwargs) -> Tensor:
        """Compute the weighted, normalised box cost.

        Args:
            pred_instances (:obj:`InstanceData`): Must contain ``bboxes``,
                predicted xyxy pixel boxes of shape (num_preds, 4) (a
                Tensor or :obj:`HorizontalBoxes`).
            gt_instances (:obj:`InstanceData`): Must contain ``bboxes``,
                xyxy pixel boxes of shape (num_gts, 4) (a Tensor or
                :obj:`HorizontalBoxes`).
            img_meta (dict, optional): Image information. Unused.
                Defaults to None.

        Returns:
            Tensor: Cost matrix of shape (num_preds, num_gts).
        """
        pred_bboxes = get_box_tensor(pred_instances.bboxes).float()
        gt_bboxes = get_box_tensor(gt_instances.bboxes).to(pred_bboxes)
        l1_cost = pairwise_smooth_l1_cost(pred_bboxes, gt_bboxes, self.beta)
        diou_cost = pairwise_diou_cost(pred_bboxes, gt_bboxes, self.eps)
        cost = (minmax_normalize(l1_cost) + minmax_normalize(diou_cost)) / 2.0
        return cost * self.weight
