# Copyright (c) docseg_mm contributors. All rights reserved.
from .dig_vit import DiGViT
from .wide_resnet38 import WideResNet38

__all__ = ['DiGViT', 'WideResNet38']
