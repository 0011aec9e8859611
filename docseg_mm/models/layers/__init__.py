# Copyright (c) docseg_mm contributors. All rights reserved.
from .alignseg_decoder import AlignSegDecoder
from .cvlr import CrossViewLowRank, init_dictionary, l2norm
from .docsam_attention import masked_cross_attention
from .docsam_deformable_encoder import (DocSAMDeformableEncoder,
                                        DocSAMDeformableEncoderLayer,
                                        pixel_centre_reference_points)
from .docsam_mlp import DocSAMConvMLP, DocSAMMLP
from .docsam_predictors import DotProductClassPredictor, QueryMaskPredictor
from .global_cue_injection import GlobalCueInjection, StochasticGate
from .gated_decoder_layer import GatedCrossAttentionDecoderLayer
from .hybrid_query_decoder import HybridQueryDecoder
from .hybrid_query_decoder_layer import HybridQueryDecoderLayer
from .learnable_pos_embed import LearnablePositionEmbedding2d
from .query_fusion_layer import QueryFusionLayer
from .sinusoid_table import sinusoid_table
from .text_decoder_layer import (PositionwiseFeedForward, TextDecoderLayer,
                                 TextMultiHeadAttention)
from .trimmed_aspp import TrimmedASPPModule, trimmed_conv2d

__all__ = [
    'AlignSegDecoder',
    'DocSAMDeformableEncoder', 'DocSAMDeformableEncoderLayer',
    'pixel_centre_reference_points', 'DocSAMMLP', 'DocSAMConvMLP',
    'DotProductClassPredictor', 'QueryMaskPredictor',
    'GatedCrossAttentionDecoderLayer', 'HybridQueryDecoder',
    'HybridQueryDecoderLayer', 'LearnablePositionEmbedding2d',
    'QueryFusionLayer', 'CrossViewLowRank', 'init_dictionary', 'l2norm',
    'GlobalCueInjection', 'StochasticGate',
    'QueryFusionLayer', 'sinusoid_table', 'PositionwiseFeedForward',
    'TextDecoderLayer', 'TextMultiHeadAttention',
    'masked_cross_attention', 'TrimmedASPPModule',
    'trimmed_conv2d'
]
