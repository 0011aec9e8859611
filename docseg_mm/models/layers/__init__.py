# Copyright (c) docseg_mm contributors. All rights reserved.
from .docsam_deformable_encoder import (DocSAMDeformableEncoder,
                                        DocSAMDeformableEncoderLayer,
                                        pixel_centre_reference_points)
from .docsam_mlp import DocSAMConvMLP, DocSAMMLP
from .docsam_predictors import DotProductClassPredictor, QueryMaskPredictor
from .gated_decoder_layer import GatedCrossAttentionDecoderLayer
from .hybrid_query_decoder import HybridQueryDecoder
from .hybrid_query_decoder_layer import HybridQueryDecoderLayer
from .learnable_pos_embed import LearnablePositionEmbedding2d
from .query_fusion_layer import QueryFusionLayer
from .alignseg_decoder import AlignSegDecoder

__all__ = [
    'AlignSegDecoder',
    'DocSAMDeformableEncoder', 'DocSAMDeformableEncoderLayer',
    'pixel_centre_reference_points', 'DocSAMMLP', 'DocSAMConvMLP',
    'DotProductClassPredictor', 'QueryMaskPredictor',
    'GatedCrossAttentionDecoderLayer', 'HybridQueryDecoder',
    'HybridQueryDecoderLayer', 'LearnablePositionEmbedding2d',
    'QueryFusionLayer'
]
