# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from docseg_mm.registry import MODELS


@MODELS.register_module()
class DiGPixelDecoder(BaseModule):
    """DiG's token-wise MIM decoder: Linear (no bias) -> Linear (no bias) ->
    LayerNorm -> GELU -> Linear to ``patch_size**2 * 3`` pixel values.

    Keys ``layers.{0,1,2,4}`` follow the original ``pix_decoder.{0,1,2,4}``.

    Args:
        in_channels (int): Encoder width. Defaults to 384.
        hid_channels (int): Hidden width. Defaults to 192.
        out_channels (int): Pixel values per patch. Defaults to 48.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int = 384,
                 hid_channels: int = 192,
                 out_channels: int = 48,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.layers = nn.Sequential(
            nn.Linear(in_channels, hid_channels, bias=False),
            nn.Linear(hid_channels, hid_channels, bias=False),
            nn.LayerNorm(hid_channels, eps=1e-6), nn.GELU(),
            nn.Linear(hid_channels, out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., in_channels) tokens -> (..., out_channels) pixels."""
        return self.layers(x)
