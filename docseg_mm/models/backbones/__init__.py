# Copyright (c) docseg_mm contributors. All rights reserved.
from .dig_vit import DiGViT

__all__ = ['DiGViT']
