# Copyright (c) docseg_mm contributors. All rights reserved.
from .balanced_mask_ce import (BalancedMaskCELoss, balanced_ce_targets,
                               balanced_mask_ce, class_count_gate)
from .background_weighted_ce import (BackgroundWeightedCrossEntropyLoss,
                                     background_weighted_cross_entropy)
from .cluster_balance_loss import ClusterBalanceLoss
from .correlation_alignment_loss import (CorrelationAlignmentLoss,
                                         centred_correlation)
from .query_contrastive_loss import QueryContrastiveLoss
from .seq_ce_loss import SeqCrossEntropyLoss

__all__ = [
    'BackgroundWeightedCrossEntropyLoss', 'background_weighted_cross_entropy',
    'BalancedMaskCELoss', 'balanced_ce_targets', 'balanced_mask_ce', 'class_count_gate',
    'SeqCrossEntropyLoss', 'CorrelationAlignmentLoss', 'centred_correlation',
    'QueryContrastiveLoss', 'ClusterBalanceLoss'
]
