# Copyright (c) docseg_mm contributors. All rights reserved.
"""Decoder layer with masked, gated cross-attention (DocSAM)."""
from typing import Optional

import torch.nn.functional as F
from torch import Tensor, nn

from .docsam_attention import masked_cross_attention


class GatedCrossAttentionDecoderLayer(nn.Module):
    """Self-attn -> gated masked cross-attn -> self-attn -> FFN (post-norm).

    The cross-attention output ``m`` enters the residual through a gate
    ``g = sigmoid(W (x + m))``. As in the original, the second
    self-attention re-uses the first one's weights and ``norm1``, and both
    self-attentions add the query positions to their queries and keys
    (``SA(q=x+pos, k=x+pos, v=x)``). The masked cross-attention runs through
    :func:`masked_cross_attention` (one mask per image for all heads).
    Attribute names follow ``torch.nn.TransformerDecoderLayer`` plus
    ``cross_atten_gate``.

    Args:
        embed_dims (int): Channels. Defaults to 256.
        num_heads (int): Attention heads. Defaults to 8.
        ffn_dims (int): Hidden channels of the FFN. Defaults to 2048.
        dropout (float): Dropout. Defaults to 0.1.
        cross_attn_dropout (float, optional): Dropout of the cross-attention
            probabilities. Defaults to None (``dropout``, as the original).
            Another value (e.g. 0.0, which skips drawing a random mask over
            every query and key of the stride-4 level) is an approximation
            for speed, NOT the original model.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 ffn_dims: int = 2048,
                 dropout: float = 0.1,
                 cross_attn_dropout: Optional[float] = None) -> None:
        super().__init__()
        self.num_heads = num_heads
        if cross_attn_dropout is None:
            cross_attn_dropout = dropout
        self.self_attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=dropout, batch_first=True)
        self.multihead_attn = nn.MultiheadAttention(
            embed_dims,
            num_heads,
            dropout=cross_attn_dropout,
            batch_first=True)
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

    def _self_attention(self, x: Tensor, pos: Tensor,
                        padding_mask: Optional[Tensor]) -> Tensor:
        qk = x + pos
        attn = self.self_attn(
            qk, qk, x, key_padding_mask=padding_mask, need_weights=False)[0]
        return self.norm1(x + self.dropout1(attn))

    def forward(self,
                x: Tensor,
                pos: Tensor,
                memory: Tensor,
                memory_pos: Optional[Tensor] = None,
                attn_mask: Optional[Tensor] = None,
                memory_padding_mask: Optional[Tensor] = None,
                query_padding_mask: Optional[Tensor] = None,
                memory_key: Optional[Tensor] = None) -> Tensor:
        """Run the layer.

        Args:
            x (Tensor): ``(B, Q, C)`` query states.
            pos (Tensor): ``(B, Q, C)`` query positional embeddings, added to
                the queries and keys of both self-attentions and to the
                queries of the cross-attention.
            memory (Tensor): ``(B, HW, C)`` flattened level features (the
                cross-attention values).
            memory_pos (Tensor, optional): ``(B, HW, C)`` their positional
                embeddings; the keys are ``memory + memory_pos``. Not needed
                with ``memory_key``. Defaults to None.
            attn_mask (Tensor, optional): Bool, True = blocked,
                broadcastable to ``(B, heads, Q, HW)``: ``(B, 1, Q, HW)``
                per image, or ``(B * heads, Q, HW)`` as for
                ``nn.MultiheadAttention``. Defaults to None.
            memory_padding_mask (Tensor, optional): ``(B, HW)`` bool, True =
                padding; merged into ``attn_mask``. Defaults to None.
            query_padding_mask (Tensor, optional): ``(B, Q)`` bool, True =
                padded query (ignored as a self-attention key).
                Defaults to None.
            memory_key (Tensor, optional): ``memory + memory_pos``,
                precomputed when the same memory serves several layers.
                Defaults to None.

        Returns:
            Tensor: ``(B, Q, C)``.
        """
        bsz, num_q = x.shape[:2]
        if memory_key is None:
            memory_key = memory if memory_pos is None else memory + memory_pos
        blocked = attn_mask
        if blocked is not None and blocked.dim() == 3:
            blocked = blocked.view(bsz, -1, num_q, blocked.shape[-1])
        if memory_padding_mask is not None:
            pad = memory_padding_mask[:, None, None, :]
            blocked = pad if blocked is None else blocked | pad
        x = self._self_attention(x, pos, query_padding_mask)
        m = masked_cross_attention(self.multihead_attn, x + pos, memory_key,
                                   memory, blocked)
        m = self.dropout2(m)
        gate = self.cross_atten_gate(x + m)
        x = self.norm2(x + gate * m)
        x = self._self_attention(x, pos, query_padding_mask)
        ffn = self.linear2(self.dropout(F.silu(self.linear1(x))))
        return self.norm3(x + self.dropout3(ffn))
