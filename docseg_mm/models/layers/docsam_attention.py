# Copyright (c) docseg_mm contributors. All rights reserved.
"""Masked cross-attention of DocSAM's decoder with the weights of an
``nn.MultiheadAttention``, computed by ``scaled_dot_product_attention``."""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def attention_dropout(probs: Tensor, p: float) -> Tensor:
    """Dropout of the attention probabilities (the folded path's; the
    other path leaves it to ``scaled_dot_product_attention``)."""
    return F.dropout(probs, p) if p > 0 else probs


def _project_transposed(x: Tensor, weight: Tensor,
                        bias: Optional[Tensor]) -> Tensor:
    """``linear(x, weight, bias).transpose(1, 2)`` for ``(B, S, C)`` tokens,
    computed as one batched product ``W @ x^T`` into a contiguous ``(B, C,
    S)`` result (``x`` may be a view of an NCHW or a channels-last map)."""
    out = torch.bmm(weight.expand(x.shape[0], -1, -1), x.transpose(1, 2))
    return out if bias is None else out + bias[:, None]


def _masked_softmax(scores: Tensor, blocked: Optional[Tensor]) -> Tensor:
    """Softmax over the last dim with True = blocked; a row blocked on
    every key gets all-zero probabilities (as ``nn.MultiheadAttention``
    in PyTorch >= 2.5). ``scores`` must be a fresh product (it is masked
    in place: no copy of the ``(B, h, Q, S)`` scores)."""
    if blocked is None:
        return scores.softmax(-1)
    probs = scores.masked_fill_(blocked, float('-inf')).softmax(-1)
    full = blocked.all(-1, keepdim=True)
    # (on CPU, skip the pass when no row is fully blocked: the usual case)
    if probs.device.type != 'cpu' or bool(full.any()):
        probs = probs.masked_fill(full, 0.0)
    return probs


def masked_cross_attention(attn: nn.MultiheadAttention,
                           query: Tensor,
                           key: Tensor,
                           value: Tensor,
                           blocked: Optional[Tensor] = None,
                           fold: Optional[bool] = None,
                           backend: Optional[str] = None) -> Tensor:
    """Multi-head attention with a per-image mask shared by all heads.

    Computes what ``attn(query, key, value, attn_mask=m, need_weights=False)``
    computes for ``m = blocked.repeat_interleave(heads, 0)``, without
    materialising the ``(B * heads, Q, S)`` mask: ``blocked`` broadcasts
    over the heads inside ``F.scaled_dot_product_attention``. A query
    blocked on every key gets a zero attention output (the projection bias
    ``out_proj.bias`` only), as ``nn.MultiheadAttention`` gives in
    PyTorch >= 2.5.

    With ``fold=True`` the key and value projections are moved to the query
    side (exact up to float rounding, cheaper when ``Q * heads`` is smaller
    than the channels, as for DocSAM's few semantic queries on the stride-4
    map):

    - scores: ``q_h . (W_k,h m + b_k,h) = (W_k,h^T q_h) . m + q_h . b_k,h``;
      the last term is the same for every key of a row and cancels in the
      softmax, so the keys are never projected;
    - values: ``sum_j a_j (W_v,h m_j + b_v,h) = W_v,h (sum_j a_j m_j) +
      (sum_j a_j) b_v,h``; ``sum_j a_j`` is the row sum of the (dropped)
      probabilities (0 for fully blocked rows).

    The folded scores and pooled values are two batched matrix products
    with all heads' queries stacked, so keys and values are never copied
    per head.

    Without folding, ``backend='sdpa'`` runs
    ``F.scaled_dot_product_attention``; ``backend='matmul'`` writes the
    same computation out: keys and values projected straight into ``(B, h,
    d, S)`` (one batched product each, no per-head copy), the scale applied
    to the queries, the masked softmax, dropout of the probabilities, and
    the value product. On CPU, training with attention dropout sends
    ``scaled_dot_product_attention`` to its math fallback, which scales and
    copies the keys per head, turns the bool mask into a float one and
    re-checks fully masked rows; the written-out form is then faster.
    ``key`` and ``value`` may be any strided ``(B, S, C)`` views (tokens of
    an NCHW or a channels-last map): nothing copies them.

    Args:
        attn (nn.MultiheadAttention): Module holding the weights (packed
            ``in_proj_weight``, ``batch_first``, equal q/k/v dims).
        query (Tensor): ``(B, Q, C)``.
        key (Tensor): ``(B, S, C)``.
        value (Tensor): ``(B, S, C)``.
        blocked (Tensor, optional): Bool, True = not attended, broadcastable
            to ``(B, heads, Q, S)`` (e.g. ``(B, 1, Q, S)`` or
            ``(B, 1, 1, S)``). Defaults to None (attend everywhere).
        fold (bool, optional): Fold the key/value projections into the
            queries. Defaults to None: fold when ``Q * heads <= C``.
        backend (str, optional): ``'sdpa'`` or ``'matmul'`` for the
            unfolded path (same values up to float rounding). Defaults to
            None: ``'matmul'`` on CPU, ``'sdpa'`` elsewhere.

    Returns:
        Tensor: ``(B, Q, C)``.
    """
    bsz, num_q, dims = query.shape
    heads = attn.num_heads
    head_dims = dims // heads
    num_k = key.shape[1]
    w_q, w_k, w_v = attn.in_proj_weight.chunk(3)
    if attn.in_proj_bias is not None:
        b_q, b_k, b_v = attn.in_proj_bias.chunk(3)
    else:
        b_q = b_k = b_v = None
    dropout = attn.dropout if attn.training else 0.0
    allowed = None if blocked is None else ~blocked
    scale = 1.0 / math.sqrt(head_dims)
    if fold is None:
        fold = num_q * heads <= dims

    if backend is None:
        backend = 'matmul' if query.device.type == 'cpu' else 'sdpa'
    if backend not in ('sdpa', 'matmul'):
        raise ValueError(f"backend must be 'sdpa' or 'matmul', got "
                         f'{backend!r}')

    q = F.linear(query, w_q, b_q).view(bsz, num_q, heads, head_dims)
    q = q.transpose(1, 2)  # (B, h, Q, d)
    if not fold and backend == 'sdpa':
        k = F.linear(key, w_k, b_k).view(bsz, num_k, heads, head_dims)
        v = F.linear(value, w_v, b_v).view(bsz, num_k, heads, head_dims)
        out = F.scaled_dot_product_attention(
            q,
            k.transpose(1, 2),
            v.transpose(1, 2),
            attn_mask=allowed,
            dropout_p=dropout,
            scale=scale)
    elif not fold:
        # keys and values projected straight into (B, C, S) = (B, h, d, S):
        # no per-head copy of the (S, C) maps, whichever their layout
        k_t = _project_transposed(key, w_k, b_k).view(
            bsz, heads, head_dims, num_k)
        v_t = _project_transposed(value, w_v, b_v).view(
            bsz, heads, head_dims, num_k)
        probs = _masked_softmax(torch.matmul(q * scale, k_t), blocked)
        probs = attention_dropout(probs, dropout)
        out = torch.matmul(probs, v_t.transpose(-1, -2))
    else:
        # (B, h, Q, d) x (h, d, C) -> (B, h * Q, C): every head's query in
        # the input space, so the keys / values are read once for all heads
        q = torch.einsum('bhqd,hdc->bhqc', q,
                         w_k.view(heads, head_dims,
                                  dims)).reshape(bsz, heads * num_q, dims)
        scores = torch.bmm(q * scale, key.transpose(1, 2))
        probs = _masked_softmax(scores.view(bsz, heads, num_q, num_k),
                                blocked)
        probs = attention_dropout(probs, dropout)
        probs = probs.view(bsz, heads * num_q, num_k)
        pooled = torch.bmm(probs, value).view(bsz, heads, num_q, dims)
        out = torch.einsum('bhqc,hdc->bhqd', pooled,
                           w_v.view(heads, head_dims, dims))
        if b_v is not None:
            # sum_j a_j: 1 for an attending row, 0 for a fully blocked one,
            # the dropped sum after dropout
            weight = probs.sum(-1).view(bsz, heads, num_q, 1)
            out = out + weight * b_v.view(heads, 1, head_dims)
    out = out.transpose(1, 2).reshape(bsz, num_q, dims)
    return attn.out_proj(out)


__all__ = ['masked_cross_attention']
