# Copyright (c) docseg_mm contributors. All rights reserved.
from math import cos, pi
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmpretrain.models import BaseSelfSupervisor, CosineEMA
from mmpretrain.structures import DataSample

from docseg_mm.registry import MODELS
from ..utils import window_pool
from ..utils.param_only_ema import ParameterOnlyUpdateMixin


class DiGMomentumEMA(ParameterOnlyUpdateMixin, CosineEMA):
    """DiG's momentum branch: a cosine-scheduled EMA of the parameters only.

    DiG (``MoCo_ViT._update_momentum_encoder``, as MoCo v3) updates
    ``param_m = param_m * m + param_b * (1 - m)`` for the parameters of the
    momentum encoder, projector and pixel projector; their BatchNorm running
    statistics are only moved by the momentum branch's own forward passes.
    mmengine's averaged models copy the online buffers into the averaged
    model at every update (``update_buffers=False``) or average them
    (``update_buffers=True``); here the buffers are left alone, except at
    the first update, which copies parameters and buffers (the original's
    momentum branch starts as a copy of the online one, whose statistics
    are still the initial ones then).

    ``m = 1 - (1 + cos(pi k / K)) / 2 * (momentum - end_momentum) -
    end_momentum`` at step ``k`` of ``K`` (``max_iters`` in the message hub),
    i.e. DiG's ``adjust_moco_momentum`` (0.99 -> 1) for ``momentum=0.01``,
    ``end_momentum=0``, computed in DiG's arithmetic order.
    """

    def dig_momentum(self, steps: int) -> float:
        """DiG's momentum ``m`` (weight of the momentum branch) at a step."""
        max_iters = MessageHub.get_current_instance().get_info('max_iters')
        return 1. - 0.5 * (1. + cos(pi * steps / float(max_iters))) * (
            self.momentum - self.end_momentum) - self.end_momentum

    def avg_func(self, averaged_param: torch.Tensor,
                 source_param: torch.Tensor, steps: int) -> None:
        """``averaged = averaged * m + source * (1 - m)`` (DiG's update)."""
        m = self.dig_momentum(steps)
        averaged_param.copy_(averaged_param * m + source_param * (1. - m))


@MODELS.register_module()
class DiG(BaseSelfSupervisor):
    """DiG: masked image modelling plus MoCo v3 window contrast on words.

    `Reading and Writing: Discriminative and Generative Modeling for
    Self-Supervised Text Recognition <https://arxiv.org/abs/2207.00193>`_
    (ACM MM 2022).

    ``inputs[0]`` is the masked view (the plain resized word; its
    ``data_sample.mask`` patches are replaced by the mask token),
    ``inputs[1]`` the augmented, unmasked view. Both go through the encoder
    together. The masked view's tokens pass ``pix_projector``; the tokens of
    both views are averaged over ``num_windows`` column windows, projected
    (``neck``), predicted (``head``) and contrasted with the other view's
    momentum keys (``contrast(q1, k2) + contrast(q2, k1)``). The pixel
    decoder predicts the raw pixels of the masked patches of view 0 from the
    encoder tokens (before ``pix_projector``).

    The momentum branch (encoder, pixel projector, projector) is a
    :class:`DiGMomentumEMA` (mmpretrain ``CosineEMA`` of the parameters
    only; the branch keeps its own BatchNorm statistics, as the original):
    it is updated at the start of each step, before the keys are computed,
    with DiG's momentum ``1 - 0.5 (1 + cos(pi k / K)) (1 - 0.99)`` at step k
    of K (``base_momentum=0.01`` in MMEngine's convention ``target = (1 -
    m) target + m online``).

    Args:
        backbone (dict): :class:`DiGViT` (``out_type='raw'``).
        neck (dict): Window projector, mmpretrain ``NonLinearNeck``
            (384 -> 4096 -> 4096 -> 256, last BN without affine).
        head (dict): :class:`DiGContrastHead` (predictor 256 -> 4096 -> 256,
            temperature 0.2, CE with ``loss_weight=2 * 0.2``).
        pix_projector (dict): Token projector of the masked view,
            ``NonLinearNeck`` (384 -> 512 -> 512 -> 384).
        pix_decoder (dict): :class:`DiGPixelDecoder`.
        mim_head (dict): :class:`DiGMIMHead`.
        num_windows (int): Windows per image. Defaults to 4.
        base_momentum (float): Start momentum (MMEngine convention).
            Defaults to 0.01.
        end_momentum (float): End momentum. Defaults to 0.
        loss_weight_mim (float): Defaults to 1.0.
        loss_weight_contrast (float): Defaults to 0.1.
        data_preprocessor (dict, optional): Defaults to
            ``mmpretrain.SelfSupDataPreprocessor``.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 pix_projector: dict,
                 pix_decoder: dict,
                 mim_head: dict,
                 num_windows: int = 4,
                 base_momentum: float = 0.01,
                 end_momentum: float = 0.,
                 loss_weight_mim: float = 1.0,
                 loss_weight_contrast: float = 0.1,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='mmpretrain.SelfSupDataPreprocessor')
        super().__init__(backbone=backbone, neck=neck, head=head,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.pix_projector = MODELS.build(pix_projector)
        self.pix_decoder = MODELS.build(pix_decoder)
        self.mim_head = MODELS.build(mim_head)
        self.num_windows = num_windows
        self.loss_weight_mim = loss_weight_mim
        self.loss_weight_contrast = loss_weight_contrast
        self.target_net = DiGMomentumEMA(
            self._online(), momentum=base_momentum,
            end_momentum=end_momentum)

    def _online(self) -> nn.Sequential:
        return nn.Sequential(self.backbone, self.pix_projector, self.neck)

    def extract_feat(self, inputs: torch.Tensor, **kwargs) -> tuple:
        """Encoder tokens of plain (unmasked) images."""
        return self.backbone(inputs)

    @staticmethod
    def _project_tokens(projector: nn.Module,
                        tokens: torch.Tensor) -> torch.Tensor:
        b, n, c = tokens.shape
        return projector([tokens.reshape(b * n, c)])[0].reshape(b, n, -1)

    def _window_embed(self, modules: nn.Sequential, x: torch.Tensor,
                      mask: torch.Tensor) -> tuple:
        """Tokens and projected windows of both views (view-major)."""
        backbone, pix_projector, neck = modules
        tokens = backbone(x, mask)[0]
        b = x.shape[0] // 2
        feats = torch.cat(
            [self._project_tokens(pix_projector, tokens[:b]), tokens[b:]])
        windows = window_pool(feats, self.backbone.grid_size,
                              self.num_windows)
        return tokens, neck([windows.flatten(0, 1)])[0]

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Compute the MIM and window-contrast losses.

        Args:
            inputs (List[Tensor]): Masked view and augmented view, each
                (B, 3, H, W).
            data_samples (List[DataSample]): With ``mask`` ((h, w) or (h*w,),
                nonzero where masked) for view 0.

        Returns:
            dict: ``loss_mim`` and ``loss_contrast`` (weighted).
        """
        assert isinstance(inputs, list) and len(inputs) == 2
        mask = torch.stack([torch.as_tensor(s.mask) for s in data_samples])
        mask = mask.flatten(1).bool().to(inputs[0].device)
        x = torch.cat(inputs)
        full_mask = torch.cat([mask, torch.zeros_like(mask)])

        # DiG updates the momentum branch before computing the keys.
        self.target_net.update_parameters(self._online())
        tokens, q = self._window_embed(self._online(), x, full_mask)
        q1, q2 = self.head.predict(q).chunk(2)
        with torch.no_grad():
            _, k = self._window_embed(self.target_net.module, x, full_mask)
            k1, k2 = k.chunk(2)
        loss_contrast = self.head.contrast(q1, k2) + self.head.contrast(
            q2, k1)

        b = inputs[0].shape[0]
        pred = self.pix_decoder(tokens[:b][mask])
        loss_mim = self.mim_head.loss(pred, inputs[0], mask)
        return dict(loss_mim=self.loss_weight_mim * loss_mim,
                    loss_contrast=self.loss_weight_contrast * loss_contrast)
