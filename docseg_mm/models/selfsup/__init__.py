# Copyright (c) docseg_mm contributors. All rights reserved.
from .dig import DiG
from .selfdocseg import SelfDocSeg

__all__ = ['DiG', 'SelfDocSeg']
