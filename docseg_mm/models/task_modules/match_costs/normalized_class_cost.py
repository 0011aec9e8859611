# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Optional, Union

from mmdet.models.task_modules.assigners.match_cost import BaseMatchCost
from mmengine.structures import InstanceData
from torch import Tensor

from docseg_mm.registry import TASK_UTILS
from .utils import minmax_normalize


@TASK_UTILS.register_module()
class NormalizedClassCost(BaseMatchCost):
    """Min-max normalised softmax classification cost (DocSAM).

    ``weight * norm(1 - softmax(scores)[:, gt_labels])`` where ``norm`` is
    :func:`minmax_normalize` over the (num_preds, num_gts) matrix. The
    softmax runs over all columns of ``scores``, background included, so the
    caller passes the logits of the image's own label set (its classes plus
    the background as the last column).

    Args:
        weight (float | int): Cost weight. Defaults to 1.0.
    """

    def __init__(self, weight: Union[float, int] = 1.0) -> None:
        super().__init__(weight=weight)

    def __call__(self,
                 pred_instances: InstanceData,
                 gt_instances: InstanceData,
                 img_meta: Optional[dict] = None,
                 **kwargs) -> Tensor:
        """Compute the weighted, normalised classification cost.

        Args:
            pred_instances (:obj:`InstanceData`): Must contain ``scores``,
                raw class logits of shape (num_preds, num_classes + 1).
            gt_instances (:obj:`InstanceData`): Must contain ``labels`` of
                shape (num_gts, ) with values in [0, num_classes].
            img_meta (dict, optional): Image information. Unused.
                Defaults to None.

        Returns:
            Tensor: Cost matrix of shape (num_preds, num_gts).
        """
        probs = pred_instances.scores.float().softmax(-1)
        cost = 1.0 - probs[:, gt_instances.labels.long()]
        return minmax_normalize(cost) * self.weight
