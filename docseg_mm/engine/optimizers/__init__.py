# Copyright (c) docseg_mm contributors. All rights reserved.
from .slrnet_optim_constructor import BackboneHeadOptimWrapperConstructor

__all__ = ['BackboneHeadOptimWrapperConstructor']
