# Copyright (c) docseg_mm contributors. All rights reserved.
"""Global cue injection and the stochastic gate (1-stage-wseg, CVPR 2020)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from docseg_mm.registry import MODELS


@MODELS.register_module()
class GlobalCueInjection(BaseModule):
    """Shallow features modulated by global attributes of deep features.

    ``(gamma, beta) = global_max(relu(bn(conv1x1(deep))))`` (each
    ``channels``), ``s = bn_noaffine(conv1x1(shallow))``,
    ``out = relu(bn(conv1x1(relu(s * (gamma + 1) + beta))))``.

    Args:
        shallow_channels (int): Channels of the shallow feature.
            Defaults to 256.
        deep_channels (int): Channels of the deep feature. Defaults to 256.
        channels (int): Output channels. Defaults to 256.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 shallow_channels: int = 256,
                 deep_channels: int = 256,
                 channels: int = 256,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.channels = channels
        self.deep_proj = ConvModule(
            deep_channels, 2 * channels, 1, bias=False, norm_cfg=norm_cfg)
        self.skip_proj = nn.Conv2d(shallow_channels, channels, 1, bias=False)
        skip_norm = dict(norm_cfg, affine=False)
        self.skip_norm = build_norm_layer(skip_norm, channels)[1]
        self.out_proj = ConvModule(
            channels, channels, 1, bias=False, norm_cfg=norm_cfg)

    def forward(self, shallow: Tensor, deep: Tensor) -> Tensor:
        """Inject ``deep``'s global cues into ``shallow`` (same size)."""
        attrs = self.deep_proj(deep).flatten(2).max(-1)[0]
        gamma, beta = attrs.view(attrs.shape[0], 2, self.channels).unbind(1)
        x = self.skip_norm(self.skip_proj(shallow))
        x = F.relu(x * (gamma[..., None, None] + 1) + beta[..., None, None])
        return self.out_proj(x)


@MODELS.register_module()
class StochasticGate(nn.Module):
    """Mix deep ``x1`` and shallow ``x2`` features.

    Training: per element ``mask ~ Bernoulli(1 - alpha)`` and
    ``x = mask * (x1 - alpha * x2) / (1 - alpha) + (1 - mask) * x2`` (so
    ``E[x] = x1``). Test: ``x = (1 - alpha) * x1 + alpha * x2``.

    Args:
        alpha (float): Mixing rate. Defaults to 0.3.
    """

    def __init__(self, alpha: float = 0.3) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        a = self.alpha
        if not self.training:
            return (1 - a) * x1 + a * x2
        mask = torch.bernoulli(torch.full_like(x1, 1 - a))
        x1 = (x1 - a * x2) / max(1e-8, 1 - a)
        return mask * x1 + (1 - mask) * x2

    def extra_repr(self) -> str:
        return f'alpha={self.alpha}'
