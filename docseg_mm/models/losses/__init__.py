# Copyright (c) docseg_mm contributors. All rights reserved.
from .background_weighted_ce import (BackgroundWeightedCrossEntropyLoss,
                                     background_weighted_cross_entropy)
from .correlation_alignment_loss import (CorrelationAlignmentLoss,
                                         centred_correlation)
from .query_contrastive_loss import QueryContrastiveLoss

__all__ = [
    'CorrelationAlignmentLoss', 'centred_correlation', 'QueryContrastiveLoss',
    'BackgroundWeightedCrossEntropyLoss', 'background_weighted_cross_entropy'
]
