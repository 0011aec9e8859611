# Copyright (c) docseg_mm contributors. All rights reserved.
"""Pre-norm transformer decoder layer for text recognition, with a cache.

Key names follow mmocr's ``TFDecoderLayer`` (and DiG's decoder):
``norm1/2/3``, ``self_attn.linear_q/k/v/fc``, ``enc_attn.*``,
``mlp.w_1/w_2``.
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

KeyValue = Tuple[torch.Tensor, torch.Tensor]


class TextMultiHeadAttention(nn.Module):
    """Multi-head attention with separate q/k/v projections.

    Args:
        n_head (int): Heads. Defaults to 8.
        d_model (int): Input/output width. Defaults to 512.
        d_k (int): Query/key width per head. Defaults to 64.
        d_v (int): Value width per head. Defaults to 64.
        dropout (float): Attention-weight and output dropout.
            Defaults to 0.1.
        qkv_bias (bool): Biases of the projections. Defaults to False.
    """

    def __init__(self, n_head: int = 8, d_model: int = 512, d_k: int = 64,
                 d_v: int = 64, dropout: float = 0.1,
                 qkv_bias: bool = False) -> None:
        super().__init__()
        self.n_head, self.d_k, self.d_v = n_head, d_k, d_v
        self.linear_q = nn.Linear(d_model, n_head * d_k, bias=qkv_bias)
        self.linear_k = nn.Linear(d_model, n_head * d_k, bias=qkv_bias)
        self.linear_v = nn.Linear(d_model, n_head * d_v, bias=qkv_bias)
        self.fc = nn.Linear(n_head * d_v, d_model, bias=qkv_bias)
        self.dropout = dropout
        self.proj_drop = nn.Dropout(dropout)

    def _heads(self, x: torch.Tensor, d: int) -> torch.Tensor:
        b, n, _ = x.shape
        return x.view(b, n, self.n_head, d).transpose(1, 2)

    def project_kv(self, k: torch.Tensor, v: torch.Tensor) -> KeyValue:
        """(B, L, d_model) inputs -> per-head keys and values."""
        return (self._heads(self.linear_k(k), self.d_k),
                self._heads(self.linear_v(v), self.d_v))

    def attend(self, q: torch.Tensor, kv: KeyValue,
               mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Attend (B, Lq, d_model) queries to projected keys/values.

        Args:
            q (Tensor): Query inputs (not projected).
            kv (tuple[Tensor, Tensor]): Output of :meth:`project_kv`.
            mask (Tensor, optional): Bool (B or 1, Lq, Lk), True = attend.

        Returns:
            Tensor: (B, Lq, d_model).
        """
        b, lq, _ = q.shape
        qh = self._heads(self.linear_q(q), self.d_k)
        if mask is not None:
            mask = mask.unsqueeze(1)
        out = F.scaled_dot_product_attention(
            qh, kv[0], kv[1], attn_mask=mask,
            dropout_p=self.dropout if self.training else 0.)
        out = out.transpose(1, 2).reshape(b, lq, self.n_head * self.d_v)
        return self.proj_drop(self.fc(out))

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.attend(q, self.project_kv(k, v), mask)


class PositionwiseFeedForward(nn.Module):
    """``w_2(drop(act(w_1(x))))`` followed by dropout."""

    def __init__(self, d_in: int, d_hid: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.w_1 = nn.Linear(d_in, d_hid)
        self.w_2 = nn.Linear(d_hid, d_in)
        self.act = nn.GELU()
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.w_2(self.dropout(self.act(self.w_1(x)))))


class TextDecoderLayer(nn.Module):
    """Pre-norm decoder layer: ``x + SelfAttn(LN1 x)``, ``x +
    CrossAttn(LN2 x, memory)``, ``x + FFN(LN3 x)`` (memory not normalised).

    Args:
        d_model (int): Width. Defaults to 512.
        d_inner (int): FFN hidden width. Defaults to 256.
        n_head (int): Heads. Defaults to 8.
        d_k (int): Key width per head. Defaults to 64.
        d_v (int): Value width per head. Defaults to 64.
        dropout (float): Dropout. Defaults to 0.1.
        qkv_bias (bool): Attention projection biases. Defaults to False.
    """

    def __init__(self, d_model: int = 512, d_inner: int = 256,
                 n_head: int = 8, d_k: int = 64, d_v: int = 64,
                 dropout: float = 0.1, qkv_bias: bool = False) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.self_attn = TextMultiHeadAttention(n_head, d_model, d_k, d_v,
                                                dropout, qkv_bias)
        self.enc_attn = TextMultiHeadAttention(n_head, d_model, d_k, d_v,
                                               dropout, qkv_bias)
        self.mlp = PositionwiseFeedForward(d_model, d_inner, dropout)

    def forward(self, x: torch.Tensor, memory_kv: KeyValue,
                self_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Whole-sequence forward.

        Args:
            x (Tensor): (B, L, d_model) target embeddings.
            memory_kv (tuple): ``enc_attn.project_kv(memory, memory)``.
            self_mask (Tensor, optional): Bool (B or 1, L, L), True = attend.

        Returns:
            Tensor: (B, L, d_model).
        """
        h = self.norm1(x)
        x = x + self.self_attn(h, h, h, self_mask)
        x = x + self.enc_attn.attend(self.norm2(x), memory_kv)
        return x + self.mlp(self.norm3(x))

    def step(self, x: torch.Tensor, memory_kv: KeyValue,
             cache: Dict[str, torch.Tensor]) -> torch.Tensor:
        """One decoding step with the self-attention keys/values cached.

        Args:
            x (Tensor): (B, 1, d_model) embedding of the newest position.
            memory_kv (tuple): Projected memory, see :meth:`forward`.
            cache (dict): ``k``/``v`` of the earlier positions (updated in
                place; empty at the first step).

        Returns:
            Tensor: (B, 1, d_model).
        """
        h = self.norm1(x)
        k, v = self.self_attn.project_kv(h, h)
        if cache:
            k = torch.cat([cache['k'], k], dim=2)
            v = torch.cat([cache['v'], v], dim=2)
        cache['k'], cache['v'] = k, v
        x = x + self.self_attn.attend(h, (k, v))
        x = x + self.enc_attn.attend(self.norm2(x), memory_kv)
        return x + self.mlp(self.norm3(x))
