# Copyright (c) docseg_mm contributors. All rights reserved.
from .selfdocseg import SelfDocSeg

__all__ = ['SelfDocSeg']
