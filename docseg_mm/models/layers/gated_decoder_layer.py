# Copyright (c) docseg_mm contributors. All rights reserved.
"""Decoder layer with masked, gated cross-attention (DocSAM)."""
from typing import Optional

import torch.nn.functional as F
from torch import Tensor, nn


class GatedCrossAttentionDecoderLayer(nn.Module):
    """Self-attn -> gated masked cross-attn -> self-attn -> FFN (post-norm).

    The cross-attention output ``m`` enters the residual through a gate
    ``g = sigmoid(W (x + m))``. As in the original, the second
    self-attention re-uses the first one's weights and ``norm1``. Attribute
    names follow ``torch.nn.TransformerDecoderLayer`` plus
    ``cross_atten_gate``.

    Args:
        embed_dims (int): Channels. Defaults to 256.
        num_heads (int): Attention heads. Defaults to 8.
        ffn_dims (int): Hidden channels of the FFN. Defaults to 2048.
        dropout (float): Dropout. Defaults to 0.1.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 ffn_dims: int = 2048,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.self_attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=dropout, batch_first=True)
        self.multihead_attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=dropout, batch_first=True)
        self.linear1 = nn.Linear(embed_dims, ffn_dims)
        self.linear2 = nn.Linear(ffn_dims, embed_dims)
        self.norm1 = nn.LayerNorm(embed_dims)
        self.norm2 = nn.LayerNorm(embed_dims)
        self.norm3 = nn.LayerNorm(embed_dims)
        self.cross_atten_gate = nn.Sequential(
            nn.Linear(embed_dims, embed_dims, bias=False), nn.Sigmoid())
        self.dropout = nn.Dropout(dropout)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

    def _self_attention(self, x: Tensor,
                        padding_mask: Optional[Tensor]) -> Tensor:
        attn = self.self_attn(
            x, x, x, key_padding_mask=padding_mask, need_weights=False)[0]
        return self.norm1(x + self.dropout1(attn))

    def forward(self,
                x: Tensor,
                pos: Tensor,
                memory: Tensor,
                memory_pos: Tensor,
                attn_mask: Optional[Tensor] = None,
                memory_padding_mask: Optional[Tensor] = None,
                query_padding_mask: Optional[Tensor] = None) -> Tensor:
        """Run the layer.

        Args:
            x (Tensor): ``(B, Q, C)`` query states.
            pos (Tensor): ``(B, Q, C)`` query positional embeddings.
            memory (Tensor): ``(B, HW, C)`` flattened level features.
            memory_pos (Tensor): ``(B, HW, C)`` their positional embeddings.
            attn_mask (Tensor, optional): ``(B * heads, Q, HW)`` bool, True =
                blocked. Defaults to None.
            memory_padding_mask (Tensor, optional): ``(B, HW)`` bool, True =
                padding. Defaults to None.
            query_padding_mask (Tensor, optional): ``(B, Q)`` bool, True =
                padded query. Defaults to None.

        Returns:
            Tensor: ``(B, Q, C)``.
        """
        x = self._self_attention(x, query_padding_mask)
        m = self.multihead_attn(
            x + pos,
            memory + memory_pos,
            memory,
            attn_mask=attn_mask,
            key_padding_mask=memory_padding_mask,
            need_weights=False)[0]
        gate = self.cross_atten_gate(x + m)
        x = self.norm2(x + self.dropout2(gate * m))
        x = self._self_attention(x, query_padding_mask)
        ffn = self.linear2(self.dropout(F.silu(self.linear1(x))))
        return self.norm3(x + self.dropout3(ffn))
