# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import ExponentialMovingAverage
from mmpretrain.models import BaseSelfSupervisor, CosineEMA
from mmpretrain.structures import DataSample

from docseg_mm.registry import MODELS
from ..utils import masked_average_pool
from ..utils.param_only_ema import ParameterOnlyUpdateMixin


class MomentumEMA(ParameterOnlyUpdateMixin, ExponentialMovingAverage):
    """``ExponentialMovingAverage`` of the parameters only (see
    :class:`ParameterOnlyUpdateMixin`), computed as lightly's
    ``update_momentum`` (``avg * (1 - m) + src * m``, bit for bit; mmengine
    uses ``lerp_``, which rounds differently)."""

    def avg_func(self, averaged_param: torch.Tensor,
                 source_param: torch.Tensor, steps: int) -> None:
        """``averaged = averaged * (1 - momentum) + source * momentum``."""
        averaged_param.copy_(averaged_param * (1 - self.momentum) +
                             source_param * self.momentum)


class MomentumCosineEMA(ParameterOnlyUpdateMixin, CosineEMA):
    """mmpretrain ``CosineEMA`` of the parameters only (see
    :class:`ParameterOnlyUpdateMixin`)."""


@MODELS.register_module()
class SelfDocSeg(BaseSelfSupervisor):
    """SelfDocSeg: BYOL on pseudo-layout objects plus layout-mask prediction.

    `SelfDocSeg: A Self-Supervised vision-based Approach towards Document
    Segmentation <https://arxiv.org/abs/2305.00795>`_ (ICDAR 2023).

    Both views go through the online backbone; the last stage (C5) is
    upsampled ``feat_upsample`` times (nearest) so that its grid matches the
    pseudo-layout mask (input / 8 for ResNet-50 and 4x). Every layout object
    is mask-average-pooled on both views and both branches, projected
    (``neck``), predicted (``head``) and pulled towards the other view's
    momentum projection of the same object with a negative cosine loss. A
    layout head predicts the pseudo-layout mask from both views' maps.

    Each data sample carries ``object_masks`` (one (N, h, w) tensor per view,
    same N and order in every view: object k is the same region of the page)
    and ``layout_mask`` ((h, w), or one per view).

    Args:
        backbone (dict | nn.Module): Backbone, e.g. mmpretrain ResNet-50 with
            ``out_indices=(3, )``.
        neck (dict | nn.Module): Projector (2048 -> 4096 -> 256).
        head (dict | nn.Module): Predictor head with a ``loss(pred_input,
            target)`` method, e.g. mmpretrain ``LatentPredictHead`` with a
            negative cosine loss (``CosineSimilarityLoss(shift_factor=0,
            scale_factor=1)``).
        layout_head (dict | nn.Module): Layout mask head, see
            :class:`LayoutMaskHead`.
        base_momentum (float): EMA momentum in MMEngine's convention
            (``target = (1 - m) * target + m * online``); 0.01 is the
            original's tau = 0.99. Only parameters are averaged: the
            momentum branch keeps its own BatchNorm statistics, updated by
            its own forward passes (as the original). Defaults to 0.01.
        end_momentum (float, optional): With a value, the momentum follows
            BYOL's cosine schedule from ``base_momentum`` to it over the run
            (needs ``max_iters`` in the message hub, set by the Runner).
            Defaults to None: constant momentum, as in the original.
        feat_upsample (int): Nearest upsampling factor of the last backbone
            stage. Defaults to 4.
        sim_weight (float): Weight (beta) of the object similarity loss, which
            is ``0.5 * (NCS(p1, z2') + NCS(p2, z1'))``. Defaults to 1.0.
        layout_target_view (int): View whose layout mask is the layout head's
            target (both views share one frame in the original recipe).
            Defaults to 0.
        data_preprocessor (dict, optional): Defaults to
            ``mmpretrain.SelfSupDataPreprocessor``.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 backbone: Union[dict, nn.Module],
                 neck: Union[dict, nn.Module],
                 head: Union[dict, nn.Module],
                 layout_head: Union[dict, nn.Module],
                 base_momentum: float = 0.01,
                 end_momentum: Optional[float] = None,
                 feat_upsample: int = 4,
                 sim_weight: float = 1.0,
                 layout_target_view: int = 0,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='mmpretrain.SelfSupDataPreprocessor')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.layout_head = (layout_head if isinstance(layout_head, nn.Module)
                            else MODELS.build(layout_head))
        online = nn.Sequential(self.backbone, self.neck)
        if end_momentum is None:
            self.target_net = MomentumEMA(online, base_momentum)
        else:
            self.target_net = MomentumCosineEMA(
                online, momentum=base_momentum, end_momentum=end_momentum)
        self.feat_upsample = feat_upsample
        self.sim_weight = sim_weight
        self.layout_target_view = layout_target_view

    @staticmethod
    def _feature_map(backbone: nn.Module, img: torch.Tensor) -> torch.Tensor:
        # The x`feat_upsample` nearest upsampling of the original is never
        # materialised: pooling and the 1x1 layout head give the same values
        # on the C5 grid (see masked_average_pool and LayoutMaskHead).
        return backbone(img)[-1]

    @staticmethod
    def _view_masks(sample: DataSample,
                    num_views: int) -> Tuple[List[torch.Tensor], torch.Tensor]:
        obj = sample.object_masks
        if not isinstance(obj, (list, tuple)):
            obj = torch.as_tensor(obj)
            # (N, h, w): one set shared by the views; (V, N, h, w): per view.
            obj = [obj] * num_views if obj.dim() == 3 else list(obj.unbind(0))
        if len(obj) != num_views:
            raise ValueError(f'expected object masks for {num_views} views, '
                             f'got {len(obj)}')
        return [torch.as_tensor(o) for o in obj], torch.as_tensor(
            sample.layout_mask)

    def _kept_object_masks(self, data_samples: List[DataSample],
                           num_views: int,
                           device: torch.device) -> List[List[torch.Tensor]]:
        """Per sample, the masks (one (N_kept, h, w) per view) of the objects
        present in every view; samples without such objects are left out as
        empty lists."""
        kept = []
        for sample in data_samples:
            masks, _ = self._view_masks(sample, num_views)
            masks = [m.to(device) for m in masks]
            areas = torch.stack([m.flatten(1).sum(1) for m in masks])
            keep = (areas > 0).all(0)  # present in every view
            kept.append([m[keep] for m in masks] if keep.any() else [])
        return kept

    @staticmethod
    def _pool_objects(feats: Sequence[torch.Tensor],
                      kept: List[List[torch.Tensor]]) -> List[torch.Tensor]:
        """Pool the kept objects of every sample; one (N, C) per view."""
        return [
            torch.cat([
                masked_average_pool(feats[v][b], masks[v])
                for b, masks in enumerate(kept) if masks
            ] or [feats[v].new_zeros((0, feats[v].shape[1]))])
            for v in range(len(feats))
        ]

    def _zero_sim_loss(self) -> torch.Tensor:
        # Keeps projector and predictor in the graph (DDP) when a batch has
        # fewer than two objects (BatchNorm1d needs two).
        params = list(self.neck.parameters()) + list(self.head.parameters())
        return sum(p.sum() * 0. for p in params)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Compute the layout and object similarity losses.

        Args:
            inputs (List[Tensor]): The two views, each (B, 3, H, W).
            data_samples (List[DataSample]): With ``object_masks`` and
                ``layout_mask``.

        Returns:
            dict: ``loss_layout`` and ``loss_sim``.
        """
        assert isinstance(inputs, list) and len(inputs) == 2
        # The original updates the momentum branch at the start of each step.
        self.target_net.update_parameters(
            nn.Sequential(self.backbone, self.neck))

        online = [self._feature_map(self.backbone, x) for x in inputs]
        with torch.no_grad():
            target_backbone = self.target_net.module[0]
            momentum = [self._feature_map(target_backbone, x) for x in inputs]

        layout_target = torch.stack([
            self._view_masks(s, 2)[1] for s in data_samples
        ]).to(online[0].device)
        if layout_target.dim() == 4:  # one layout mask per view
            layout_target = layout_target[:, self.layout_target_view]
        losses = self.layout_head.loss(
            torch.cat(online, dim=1), layout_target, self.feat_upsample)

        kept = self._kept_object_masks(data_samples, len(inputs),
                                       online[0].device)
        y_online = self._pool_objects(online, kept)
        if y_online[0].shape[0] < 2:
            losses['loss_sim'] = self._zero_sim_loss()
            return losses
        with torch.no_grad():
            y_momentum = self._pool_objects(momentum, kept)
            target_neck = self.target_net.module[1]
            z_momentum = [target_neck([y])[0] for y in y_momentum]
        z_online = [self.neck([y])[0] for y in y_online]
        loss_12 = self.head.loss(z_online[0], z_momentum[1])
        loss_21 = self.head.loss(z_online[1], z_momentum[0])
        losses['loss_sim'] = self.sim_weight * 0.5 * (loss_12 + loss_21)
        return losses
