# Copyright (c) docseg_mm contributors. All rights reserved.
from .background_weighted_ce import (BackgroundWeightedCrossEntropyLoss,
                                     background_weighted_cross_entropy)

__all__ = [
    'BackgroundWeightedCrossEntropyLoss', 'background_weighted_cross_entropy'
]
