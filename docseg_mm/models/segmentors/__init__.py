# Copyright (c) docseg_mm contributors. All rights reserved.
from .cam_wsss import CAMHead, CAMSegmentor
from .docsam import DocSAM
from .alignseg import AlignSeg
from .slrnet import SLRNet
from .slrnet_tta import SLRNetTTAModel

__all__ = [
    'AlignSeg', 'DocSAM', 'SLRNet', 'SLRNetTTAModel', 'CAMHead', 'CAMSegmentor']
