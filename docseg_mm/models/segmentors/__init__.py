# Copyright (c) docseg_mm contributors. All rights reserved.
from .docsam import DocSAM
from .alignseg import AlignSeg

__all__ = [
    'AlignSeg','DocSAM']
