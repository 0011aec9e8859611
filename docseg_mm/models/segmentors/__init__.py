# Copyright (c) docseg_mm contributors. All rights reserved.
from .cam_wsss import CAMHead, CAMSegmentor
from .docsam import DocSAM
from .slrnet import SLRNet
from .slrnet_tta import SLRNetTTAModel

__all__ = ['DocSAM', 'SLRNet', 'SLRNetTTAModel', 'CAMHead', 'CAMSegmentor']
