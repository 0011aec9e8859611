# Copyright (c) docseg_mm contributors. All rights reserved.
from .cls_attention_vit import CLSAttentionViT, dino_interpolate_pos_embed

__all__ = ['CLSAttentionViT', 'dino_interpolate_pos_embed']
