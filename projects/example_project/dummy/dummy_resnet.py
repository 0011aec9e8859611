# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Tuple

import torch
from mmdet.models.backbones import ResNet

from docseg_mm.registry import MODELS


@MODELS.register_module()
class DummyResNet(ResNet):
    """An mmdet ResNet that counts its forward calls.

    A placeholder showing how a project adds its own module to docseg_mm.

    Args:
        **kwargs: Passed to :class:`mmdet.models.backbones.ResNet`.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_forward_calls = 0

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        self.num_forward_calls += 1
        return super().forward(x)
