# Copyright (c) docseg_mm contributors. All rights reserved.
"""WideResNet-38 ("ResNet38d") of PSA / 1-stage-wseg / SLRNet."""
from typing import Dict, Optional, Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from docseg_mm.registry import MODELS

#: Units frozen by the original (``fixed_layers``).
WRN38_FROZEN = ('conv1a', 'b2', 'b2_1', 'b2_2')
#: Names of the outputs :meth:`WideResNet38.forward_dict` returns.
WRN38_OUTPUTS = ('conv1', 'conv3', 'conv4', 'conv5', 'conv6')


class ResBlock(nn.Module):
    """Pre-activation residual unit with two 3x3 convolutions.

    Module names follow the MXNet-converted ImageNet weights
    (``bn_branch2a``, ``conv_branch2a``, ``bn_branch2b1``,
    ``conv_branch2b1``, ``conv_branch1``).
    """

    def __init__(self,
                 in_channels: int,
                 mid_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 first_dilation: Optional[int] = None,
                 dilation: int = 1) -> None:
        super().__init__()
        self.same_shape = in_channels == out_channels and stride == 1
        first_dilation = dilation if first_dilation is None else \
            first_dilation
        self.bn_branch2a = nn.BatchNorm2d(in_channels)
        self.conv_branch2a = nn.Conv2d(
            in_channels, mid_channels, 3, stride, padding=first_dilation,
            dilation=first_dilation, bias=False)
        self.bn_branch2b1 = nn.BatchNorm2d(mid_channels)
        self.conv_branch2b1 = nn.Conv2d(
            mid_channels, out_channels, 3, padding=dilation,
            dilation=dilation, bias=False)
        if not self.same_shape:
            self.conv_branch1 = nn.Conv2d(
                in_channels, out_channels, 1, stride, bias=False)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Return the unit's output and its pre-activation ``bn+relu``."""
        pre = F.relu(self.bn_branch2a(x))
        short = x if self.same_shape else self.conv_branch1(pre)
        y = self.conv_branch2a(pre)
        y = self.conv_branch2b1(F.relu(self.bn_branch2b1(y)))
        return short + y, pre


class BottleneckBlock(nn.Module):
    """Pre-activation bottleneck unit (1x1, dilated 3x3, 1x1) with
    ``Dropout2d`` before the last two convolutions."""

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 dilation: int = 1,
                 dropout: float = 0.) -> None:
        super().__init__()
        self.bn_branch2a = nn.BatchNorm2d(in_channels)
        self.conv_branch2a = nn.Conv2d(
            in_channels, out_channels // 4, 1, stride, bias=False)
        self.bn_branch2b1 = nn.BatchNorm2d(out_channels // 4)
        self.dropout_2b1 = nn.Dropout2d(dropout)
        self.conv_branch2b1 = nn.Conv2d(
            out_channels // 4, out_channels // 2, 3, padding=dilation,
            dilation=dilation, bias=False)
        self.bn_branch2b2 = nn.BatchNorm2d(out_channels // 2)
        self.dropout_2b2 = nn.Dropout2d(dropout)
        self.conv_branch2b2 = nn.Conv2d(
            out_channels // 2, out_channels, 1, bias=False)
        self.conv_branch1 = nn.Conv2d(
            in_channels, out_channels, 1, stride, bias=False)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        pre = F.relu(self.bn_branch2a(x))
        short = self.conv_branch1(pre)
        y = self.conv_branch2a(pre)
        y = self.dropout_2b1(F.relu(self.bn_branch2b1(y)))
        y = self.conv_branch2b1(y)
        y = self.dropout_2b2(F.relu(self.bn_branch2b2(y)))
        return short + self.conv_branch2b2(y), pre


@MODELS.register_module()
class WideResNet38(BaseModule):
    """WideResNet-38 with output stride 8 (dilations 2 and 4 in the last
    three stages), as used by PSA, 1-stage-wseg and SLRNet.

    Outputs (see :meth:`forward_dict`): ``conv3`` (stride 4, 256 channels,
    the raw residual sum after ``b3_2``), ``conv4`` / ``conv5`` (the
    pre-activations of ``b5`` / ``b6``, 512 / 1024 channels) and ``conv6``
    (``relu(bn7(.))``, stride 8, 4096 channels). ``forward`` returns the
    ones named in ``out_keys``.

    The original keeps every BN layer in eval mode with frozen affine
    parameters (``FixedBatchNorm2d``) and freezes ``conv1a``, ``b2``,
    ``b2_1`` and ``b2_2``: ``norm_eval`` and ``frozen_units``. Module and
    parameter names match the ImageNet initialisation file
    ``ilsvrc-cls_rna-a1_cls1000_ep-0001.pth`` (see
    :func:`docseg_mm.models.converters.slrnet.convert_wrn38_imagenet`).

    Args:
        out_keys (Sequence[str]): Outputs, in order.
            Defaults to ``('conv3', 'conv6')``.
        norm_eval (bool): Keep BN layers in eval mode and their affine
            parameters frozen. Defaults to True.
        frozen_units (Sequence[str]): Units whose parameters are frozen.
            Defaults to ``('conv1a', 'b2', 'b2_1', 'b2_2')``.
        init_cfg (dict, optional): E.g. ``dict(type='Pretrained',
            checkpoint=...)`` with a converted ImageNet file.
            Defaults to None.
    """

    def __init__(self,
                 out_keys: Sequence[str] = ('conv3', 'conv6'),
                 norm_eval: bool = True,
                 frozen_units: Sequence[str] = WRN38_FROZEN,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        unknown = set(out_keys) - set(WRN38_OUTPUTS)
        if unknown:
            raise ValueError(f'unknown outputs {sorted(unknown)}; choose '
                             f'from {WRN38_OUTPUTS}')
        self.out_keys = tuple(out_keys)
        self.norm_eval = norm_eval
        self.frozen_units = tuple(frozen_units)
        self.conv1a = nn.Conv2d(3, 64, 3, padding=1, bias=False)
        self.b2 = ResBlock(64, 128, 128, stride=2)
        self.b2_1 = ResBlock(128, 128, 128)
        self.b2_2 = ResBlock(128, 128, 128)
        self.b3 = ResBlock(128, 256, 256, stride=2)
        self.b3_1 = ResBlock(256, 256, 256)
        self.b3_2 = ResBlock(256, 256, 256)
        self.b4 = ResBlock(256, 512, 512, stride=2)
        for i in range(1, 6):
            setattr(self, f'b4_{i}', ResBlock(512, 512, 512))
        self.b5 = ResBlock(512, 512, 1024, first_dilation=1, dilation=2)
        self.b5_1 = ResBlock(1024, 512, 1024, dilation=2)
        self.b5_2 = ResBlock(1024, 512, 1024, dilation=2)
        self.b6 = BottleneckBlock(1024, 2048, dilation=4, dropout=0.3)
        self.b7 = BottleneckBlock(2048, 4096, dilation=4, dropout=0.5)
        self.bn7 = nn.BatchNorm2d(4096)
        self._freeze()

    #: Channels of each output.
    channels: Dict[str, int] = dict(
        conv1=64, conv3=256, conv4=512, conv5=1024, conv6=4096)

    def _freeze(self) -> None:
        for name in self.frozen_units:
            for p in getattr(self, name).parameters():
                p.requires_grad = False
        if self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    for p in m.parameters():
                        p.requires_grad = False

    def train(self, mode: bool = True) -> 'WideResNet38':
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        return self

    def forward_dict(self, x: Tensor) -> Dict[str, Tensor]:
        """All intermediate outputs by name."""
        out = dict(conv1=self.conv1a(x))
        x = out['conv1']
        for name in ('b2', 'b2_1', 'b2_2', 'b3', 'b3_1', 'b3_2'):
            x = getattr(self, name)(x)[0]
        out['conv3'] = x
        for name in ('b4', 'b4_1', 'b4_2', 'b4_3', 'b4_4', 'b4_5'):
            x = getattr(self, name)(x)[0]
        x, out['conv4'] = self.b5(x)
        x = self.b5_2(self.b5_1(x)[0])[0]
        x, out['conv5'] = self.b6(x)
        x = self.b7(x)[0]
        out['conv6'] = F.relu(self.bn7(x))
        return out

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        out = self.forward_dict(x)
        return tuple(out[k] for k in self.out_keys)
