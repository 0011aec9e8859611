# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor

from docseg_mm.registry import MODELS
from ..utils.resize import resize_bilinear

SizeType = Tuple[int, int]  # (H, W)


def conv3x3_norm(in_channels: int, out_channels: int,
                 norm_cfg: ConfigType) -> nn.Sequential:
    """Bias-free 3x3 convolution followed by a norm layer (no activation).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        norm_cfg (dict): Config of the norm layer.

    Returns:
        nn.Sequential: ``Sequential(conv, norm)`` (keys ``0`` and ``1``).
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        build_norm_layer(norm_cfg, out_channels)[1])


SizeType = Tuple[int, int]  # (H, W)


@MODELS.register_module()
class MultiLevelFusion(BaseModule):
    """Fuse several feature levels into one map (DocSAM's mask features).

    Every level passes through its own branch (3x3 conv + norm, no
    activation), is bilinearly resized (``align_corners=False``) to the
    target size, and the concatenation (in list order) is fused by another
    3x3 conv + norm. Equivalent to DocSAM's ``FusionModule_CNN``; parameter
    names ``branches.{i}.{0,1}`` and ``fusion.{0,1}`` match its checkpoints.

    Args:
        in_channels (int): Channels of every input level. Defaults to 256.
        mid_channels (int): Output channels of every branch.
            Defaults to 128.
        out_channels (int): Output channels. Defaults to 256.
        num_branches (int): Number of input levels. Defaults to 4.
        norm_cfg (dict): Config of the norm layers.
            Defaults to ``dict(type='GN', num_groups=32)``.
        channels_last (bool): Run the fusion convolution (at the output
            size) in channels-last memory format. Same values up to float
            rounding. Defaults to False.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int = 256,
                 mid_channels: int = 128,
                 out_channels: int = 256,
                 num_branches: int = 4,
                 norm_cfg: ConfigType = dict(type='GN', num_groups=32),
                 channels_last: bool = False,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_branches = num_branches
        self.channels_last = channels_last
        self.branches = nn.ModuleList([
            conv3x3_norm(in_channels, mid_channels, norm_cfg)
            for _ in range(num_branches)
        ])
        self.fusion = conv3x3_norm(mid_channels * num_branches, out_channels,
                                   norm_cfg)

    def forward(self, feats: Sequence[Tensor], out_size: SizeType) -> Tensor:
        """Fuse the levels.

        Args:
            feats (Sequence[Tensor]): ``num_branches`` maps of shape
                (B, in_channels, H_i, W_i); branch ``i`` takes ``feats[i]``.
            out_size (Tuple[int, int]): Target size (H, W).

        Returns:
            Tensor: Fused map of shape (B, out_channels, H, W).
        """
        if len(feats) != self.num_branches:
            raise ValueError(f'expected {self.num_branches} levels, '
                             f'got {len(feats)}')
        size = (int(out_size[0]), int(out_size[1]))
        resized = [
            resize_bilinear(branch(x), size)
            for x, branch in zip(feats, self.branches)
        ]
        fused = torch.cat(resized, dim=1)
        if self.channels_last:
            fused = fused.contiguous(memory_format=torch.channels_last)
        return self.fusion(fused)
