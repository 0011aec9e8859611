# Copyright (c) docseg_mm contributors. All rights reserved.
"""The reducer MLPs DocSAM uses everywhere in its decoder and heads."""
from typing import Optional

from torch import Tensor, nn


class DocSAMMLP(nn.ModuleList):
    """Bias-free MLP: ``(Linear, LayerNorm, SiLU)`` blocks, then a Linear.

    The parameter names (``{i}.0.weight`` for the linear layers and
    ``{i}.1.{weight,bias}`` for the norms) follow the released DocSAM
    checkpoints, so weights load by prefix renaming only.

    Args:
        in_dims (int): Input channels.
        hidden_dims (int): Channels of the hidden blocks.
        out_dims (int): Output channels.
        num_layers (int): Number of linear layers. Defaults to 3.
        bias (bool): Whether the linear layers have biases. Defaults to
            False (as the original).
    """

    def __init__(self,
                 in_dims: int,
                 hidden_dims: int,
                 out_dims: int,
                 num_layers: int = 3,
                 bias: bool = False) -> None:
        blocks = []
        for i in range(num_layers):
            c_in = in_dims if i == 0 else hidden_dims
            if i < num_layers - 1:
                blocks.append(
                    nn.Sequential(
                        nn.Linear(c_in, hidden_dims, bias=bias),
                        nn.LayerNorm(hidden_dims), nn.SiLU()))
            else:
                blocks.append(
                    nn.Sequential(nn.Linear(c_in, out_dims, bias=bias)))
        super().__init__(blocks)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the blocks in order along the last dimension."""
        for block in self:
            x = block(x)
        return x


class DocSAMConvMLP(nn.ModuleList):
    """Bias-free 3x3 conv stack: ``(Conv, GroupNorm, SiLU)`` blocks + a Conv.

    Args:
        channels (int): Input, hidden and output channels.
        num_layers (int): Number of convolutions. Defaults to 3.
        num_groups (int, optional): GroupNorm groups. Defaults to
            ``min(32, channels)``.
    """

    def __init__(self,
                 channels: int,
                 num_layers: int = 3,
                 num_groups: Optional[int] = None) -> None:
        groups = num_groups or min(32, channels)
        blocks = []
        for i in range(num_layers):
            conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            if i < num_layers - 1:
                blocks.append(
                    nn.Sequential(conv, nn.GroupNorm(groups, channels),
                                  nn.SiLU()))
            else:
                blocks.append(nn.Sequential(conv))
        super().__init__(blocks)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the blocks in order to a ``(B, C, H, W)`` map."""
        for block in self:
            x = block(x)
        return x


def init_mlp_weights(module: nn.Module, std: float = 0.02) -> None:
    """Truncated-normal init of linear layers as DocSAM's ``init_std``.

    Args:
        module (nn.Module): Module whose ``nn.Linear`` children are reset.
        std (float): Standard deviation. Defaults to 0.02.
    """
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Conv2d):
            nn.init.kaiming_uniform_(m.weight, a=1)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


__all__ = ['DocSAMMLP', 'DocSAMConvMLP', 'init_mlp_weights']
