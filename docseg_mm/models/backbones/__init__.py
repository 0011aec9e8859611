# Copyright (c) docseg_mm contributors. All rights reserved.
from .cls_attention_vit import CLSAttentionViT, dino_interpolate_pos_embed
from .dig_vit import DiGViT
from .wide_resnet38 import WideResNet38

__all__ = [
    'CLSAttentionViT', 'dino_interpolate_pos_embed', 'DiGViT', 'WideResNet38'
]
