# Copyright (c) docseg_mm contributors. All rights reserved.
from .background_weighted_ce import (BackgroundWeightedCrossEntropyLoss,
                                     background_weighted_cross_entropy)
from .seq_ce_loss import SeqCrossEntropyLoss

__all__ = [
    'BackgroundWeightedCrossEntropyLoss', 'background_weighted_cross_entropy',
    'SeqCrossEntropyLoss'
]
