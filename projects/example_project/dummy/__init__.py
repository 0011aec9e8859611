# Copyright (c) docseg_mm contributors. All rights reserved.
from .dummy_resnet import DummyResNet

__all__ = ['DummyResNet']
