# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import List, Optional, Union

import torch
from mmdet.models.task_modules.assigners import AssignResult
from mmdet.models.task_modules.assigners import HungarianAssigner
from mmdet.models.task_modules.assigners.match_cost import BaseMatchCost
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from docseg_mm.registry import TASK_UTILS

CostConfig = Union[dict, ConfigDict, BaseMatchCost]


@TASK_UTILS.register_module()
class DocSAMHungarianAssigner(HungarianAssigner):
    """Hungarian assigner that sanitises the summed cost before matching.

    mmdet's :class:`HungarianAssigner` hands the summed cost straight to
    ``scipy.optimize.linear_sum_assignment``, which raises ``ValueError`` on
    NaN entries ("matrix contains invalid numeric entries") and on rows or
    columns that are entirely infinite ("cost matrix is infeasible"). As in
    DocSAM, the sum is clamped to ``[-cost_clamp, cost_clamp]`` and NaN is
    replaced by ``cost_clamp`` first. Everything else (1-based ``gt_inds``,
    0 for unmatched predictions, all-background result without GT) follows
    the parent class.

    Args:
        match_costs (dict | :obj:`ConfigDict` | :obj:`BaseMatchCost` | list):
            Match cost configs or already built cost objects. Configs are
            built with the ``docseg_mm`` TASK_UTILS registry, so mmdet costs
            need the ``mmdet.`` prefix (e.g. ``type='mmdet.FocalLossCost'``).
        cost_clamp (float): Bound of the summed cost. Defaults to 1e10.
    """

    def __init__(self,
                 match_costs: Union[CostConfig, List[CostConfig]],
                 cost_clamp: float = 1e10) -> None:
        if not isinstance(match_costs, list):
            match_costs = [match_costs]
        if len(match_costs) == 0:
            raise ValueError('match_costs must not be an empty list.')
        self.match_costs = [
            cost if isinstance(cost, BaseMatchCost) else TASK_UTILS.build(cost)
            for cost in match_costs
        ]
        self.cost_clamp = cost_clamp

    def compute_cost(self,
                     pred_instances: InstanceData,
                     gt_instances: InstanceData,
                     img_meta: Optional[dict] = None) -> Tensor:
        """Sum the match costs and sanitise the result.

        Args:
            pred_instances (:obj:`InstanceData`): Predictions of one image.
            gt_instances (:obj:`InstanceData`): Ground truth of one image.
            img_meta (dict, optional): Image information. Defaults to None.

        Returns:
            Tensor: Finite cost matrix of shape (num_preds, num_gts).
        """
        cost = torch.stack([
            match_cost(
                pred_instances=pred_instances,
                gt_instances=gt_instances,
                img_meta=img_meta) for match_cost in self.match_costs
        ]).sum(dim=0)
        cost = cost.clamp(min=-self.cost_clamp, max=self.cost_clamp)
        return torch.nan_to_num(
            cost,
            nan=self.cost_clamp,
            posinf=self.cost_clamp,
            neginf=-self.cost_clamp)

    def assign(self,
               pred_instances: InstanceData,
               gt_instances: InstanceData,
               img_meta: Optional[dict] = None,
               **kwargs) -> AssignResult:
        """One-to-one matching on the sanitised summed cost.

        Args:
            pred_instances (:obj:`InstanceData`): Predictions of one image
                with the fields the match costs read (``scores``, ``bboxes``,
                ``masks``).
            gt_instances (:obj:`InstanceData`): Ground truth of one image with
                ``labels`` and the fields the match costs read.
            img_meta (dict, optional): Image information. Defaults to None.

        Returns:
            :obj:`AssignResult`: ``gt_inds`` is 0 for unmatched predictions
            and the 1-based GT index for matched ones; ``labels`` is the
            matched GT label or -1.
        """
        gt_labels = gt_instances.labels
        num_gts, num_preds = len(gt_instances), len(pred_instances)
        device = gt_labels.device
        assigned_gt_inds = torch.full((num_preds, ),
                                      -1,
                                      dtype=torch.long,
                                      device=device)
        assigned_labels = torch.full((num_preds, ),
                                     -1,
                                     dtype=torch.long,
                                     device=device)
        if num_gts == 0 or num_preds == 0:
            if num_gts == 0:
                assigned_gt_inds[:] = 0
            return AssignResult(
                num_gts=num_gts,
                gt_inds=assigned_gt_inds,
                max_overlaps=None,
                labels=assigned_labels)

        cost = self.compute_cost(pred_instances, gt_instances, img_meta)
        row_inds, col_inds = linear_sum_assignment(
            cost.detach().cpu().double().numpy())
        row_inds = torch.from_numpy(row_inds).to(device)
        col_inds = torch.from_numpy(col_inds).to(device)

        assigned_gt_inds[:] = 0
        assigned_gt_inds[row_inds] = col_inds + 1
        assigned_labels[row_inds] = gt_labels[col_inds]
        return AssignResult(
            num_gts=num_gts,
            gt_inds=assigned_gt_inds,
            max_overlaps=None,
            labels=assigned_labels)
