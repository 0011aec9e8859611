# Copyright (c) docseg_mm contributors. All rights reserved.
import copy
from typing import Optional

import torch
import torch.nn as nn
from mmdet.models.layers.transformer import Mask2FormerTransformerDecoderLayer
from mmengine.model import BaseModule

from docseg_mm.registry import MODELS


@MODELS.register_module()
class AlignSegDecoder(BaseModule):
    """AlignSeg's query decoder: post-norm cross-attn / self-attn / FFN.

    Each layer is mmdet's :class:`Mask2FormerTransformerDecoderLayer`, which
    is exactly AlignSeg's ``CrossAttentionLayer -> SelfAttentionLayer ->
    FFNLayer``: ``q = LN(q + MHA(q, F, F))``, ``q = LN(q + MHA(q, q, q))``,
    ``q = LN(q + W2 ReLU(W1 q))``, batch-first, dropout 0 and no positional
    encodings.

    Args:
        num_layers (int): Decoder depth. Defaults to 1.
        embed_dims (int): Query / token width. Defaults to 384.
        num_heads (int): Attention heads. Defaults to 3.
        feedforward_channels (int): FFN hidden width. Defaults to 768.
        faithful (bool): Reproduce the original's loop, which feeds every
            layer the *initial* queries (``align_model.py``: each layer gets
            ``outQueries``), so only the last layer's output counts and the
            other layers get no gradient. With False each layer takes the
            previous layer's output. Identical for one layer.
            Defaults to False.
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 num_layers: int = 1,
                 embed_dims: int = 384,
                 num_heads: int = 3,
                 feedforward_channels: int = 768,
                 faithful: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        attn = dict(embed_dims=embed_dims, num_heads=num_heads, attn_drop=0.,
                    proj_drop=0., batch_first=True)
        layer_cfg = dict(
            self_attn_cfg=attn,
            cross_attn_cfg=copy.deepcopy(attn),
            ffn_cfg=dict(
                embed_dims=embed_dims,
                feedforward_channels=feedforward_channels,
                num_fcs=2,
                ffn_drop=0.,
                act_cfg=dict(type='ReLU', inplace=True)),
            norm_cfg=dict(type='LN'))
        self.layers = nn.ModuleList([
            Mask2FormerTransformerDecoderLayer(**copy.deepcopy(layer_cfg))
            for _ in range(num_layers)
        ])
        self.faithful = faithful

    def init_weights(self) -> None:
        """The original's init: ``trunc_normal(0.02)`` Linear weights (FFN
        and attention output projections), zero biases, unit LayerNorms;
        ``nn.MultiheadAttention`` keeps its xavier ``in_proj_weight``."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, queries: torch.Tensor,
                tokens: torch.Tensor) -> torch.Tensor:
        """Adapt the queries to one crop's tokens.

        Args:
            queries (Tensor): ``(B, K, C)`` initial queries.
            tokens (Tensor): ``(B, N, C)`` patch tokens of the crop.

        Returns:
            Tensor: ``(B, K, C)`` adapted queries.
        """
        out = queries
        for layer in self.layers:
            out = layer(queries if self.faithful else out, key=tokens,
                        value=tokens)
        return out
