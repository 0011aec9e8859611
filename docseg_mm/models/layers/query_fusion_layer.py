# Copyright (c) docseg_mm contributors. All rights reserved.
"""Self-attention over the joint set of instance and semantic queries."""
from typing import Optional

import torch.nn.functional as F
from torch import Tensor, nn


class QueryFusionLayer(nn.Module):
    """Post-norm transformer encoder layer with positional queries/keys.

    Same attribute names as ``torch.nn.TransformerEncoderLayer`` (which the
    original subclasses), so checkpoints load by renaming prefixes. The
    original passes ``device`` positionally into torch's ``bias`` argument,
    which silently builds every linear and norm layer of it WITHOUT biases.
    ``faithful=True`` reproduces that (needed to load released weights);
    the default builds the intended layer with biases.

    Args:
        embed_dims (int): Channels. Defaults to 256.
        num_heads (int): Attention heads. Defaults to 8.
        ffn_dims (int): Hidden channels of the FFN. Defaults to 2048.
        dropout (float): Dropout. Defaults to 0.1.
        faithful (bool): Build the bias-free layer of the original.
            Defaults to False.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 ffn_dims: int = 2048,
                 dropout: float = 0.1,
                 faithful: bool = False) -> None:
        super().__init__()
        bias = not faithful
        self.self_attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=dropout, bias=bias,
            batch_first=True)
        self.linear1 = nn.Linear(embed_dims, ffn_dims, bias=bias)
        self.linear2 = nn.Linear(ffn_dims, embed_dims, bias=bias)
        self.norm1 = nn.LayerNorm(embed_dims, bias=bias)
        self.norm2 = nn.LayerNorm(embed_dims, bias=bias)
        self.dropout = nn.Dropout(dropout)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self,
                x: Tensor,
                pos: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None) -> Tensor:
        """Run the layer.

        Args:
            x (Tensor): ``(B, N, C)`` query states.
            pos (Tensor, optional): ``(B, N, C)`` positional embeddings added
                to queries and keys. Defaults to None.
            key_padding_mask (Tensor, optional): ``(B, N)``, True = padded.
                Defaults to None.

        Returns:
            Tensor: ``(B, N, C)``.
        """
        qk = x if pos is None else x + pos
        attn = self.self_attn(
            qk, qk, x, key_padding_mask=key_padding_mask,
            need_weights=False)[0]
        x = self.norm1(x + self.dropout1(attn))
        ffn = self.linear2(self.dropout(F.relu(self.linear1(x))))
        return self.norm2(x + self.dropout2(ffn))
