# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from docseg_mm.registry import MODELS


@MODELS.register_module()
class LinearNormNeck(BaseModule):
    """Linear projection followed by LayerNorm on token features.

    DiG's ``linear_norm`` between the ViT encoder and the text decoder
    (384 -> 512, LayerNorm eps 1e-5).

    Args:
        in_channels (int): Input width. Defaults to 384.
        out_channels (int): Output width. Defaults to 512.
        eps (float): LayerNorm epsilon. Defaults to 1e-5.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int = 384,
                 out_channels: int = 512,
                 eps: float = 1e-5,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.fc = nn.Linear(in_channels, out_channels)
        self.norm = nn.LayerNorm(out_channels, eps=eps)

    def forward(self, x: Union[torch.Tensor, Tuple[torch.Tensor]]
                ) -> torch.Tensor:
        """(B, N, in) tokens (or a one-tuple of them) -> (B, N, out)."""
        if isinstance(x, (tuple, list)):
            x = x[-1]
        return self.norm(self.fc(x))
