# Copyright (c) docseg_mm contributors. All rights reserved.
"""Dilated, resized mask logits for DocSAM's masked attention."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def _shift_max(x: Tensor, d: int, dim: int,
               at: Optional[Tensor] = None) -> Tensor:
    """``max(x[clamp(i - d)], x[clamp(i + d)])`` along ``dim`` at the
    indices ``at`` (default: all, written with slices, no gather)."""
    n = x.shape[dim]
    if at is not None or 2 * d > n:
        idx = torch.arange(n, device=x.device) if at is None else at
        return torch.maximum(
            x.index_select(dim, (idx - d).clamp(min=0)),
            x.index_select(dim, (idx + d).clamp(max=n - 1)))
    out = torch.empty_like(x)
    torch.maximum(
        x.narrow(dim, 0, n - 2 * d),
        x.narrow(dim, 2 * d, n - 2 * d),
        out=out.narrow(dim, d, n - 2 * d))
    torch.maximum(
        x.narrow(dim, 0, 1), x.narrow(dim, d, d), out=out.narrow(dim, 0, d))
    torch.maximum(
        x.narrow(dim, n - 2 * d, d),
        x.narrow(dim, n - 1, 1),
        out=out.narrow(dim, n - d, d))
    return out


def _window_max(x: Tensor,
                radius: int,
                dim: int,
                at: Optional[Tensor] = None,
                cache: Optional[Dict[int, Tensor]] = None) -> Tensor:
    """Max over ``[i - radius, i + radius]`` (clipped to the map) along
    ``dim``, read at the indices ``at`` (default: all of them).

    Built by doubling: with ``M_a`` the radius-``a`` maximum and ``a < r <=
    2a``, ``M_r[i] = max(M_a[clamp(i - (r - a))], M_a[clamp(i + (r - a))])``
    (the two windows overlap and, clamped at the borders, cover exactly the
    clipped window). Maxima are exact, so this equals ``max_pool2d`` with a
    ``2 * radius + 1`` kernel and ``-inf`` padding, without its indices and
    without re-reading ``2 * radius + 1`` values per output. Full-length
    maxima are kept in ``cache`` (keyed by radius) for other radii along
    the same ``dim`` of the same ``x``.
    """
    if radius == 0:
        return x if at is None else x.index_select(dim, at)
    if cache is not None and at is None and radius in cache:
        return cache[radius]
    if radius == 1:
        centre = x if at is None else x.index_select(dim, at)
        out = torch.maximum(_shift_max(x, 1, dim, at), centre)
    else:
        half = (radius + 1) // 2  # half < radius <= 2 * half
        base = _window_max(x, half, dim, None, cache)
        out = _shift_max(base, radius - half, dim, at)
    if cache is not None and at is None:
        cache[radius] = out
    return out


def dilate_resize_levels(logits: Tensor,
                         sizes: Sequence[Tuple[int, int]]) -> List[Tensor]:
    """``interpolate(max_pool2d(logits, 2s+1, 1, s), size)`` for several
    sizes (``s = round(H / h)`` per size, bilinear, ``align_corners=False``),
    the original's masked-attention masks of every level.

    When the map is an exact multiple ``f`` (1 or even) of a size in both
    directions, the bilinear resize reads output ``i`` as the mean of the
    input rows / columns ``f*i + f/2 - 1`` and ``f*i + f/2`` (weights
    exactly 1/2), so only those are needed. Their maxima are built by
    doubling (:func:`_window_max`): along the columns at full resolution,
    shared by all levels (radius 1, 2, 4, ... computed once), then along the
    rows only on the columns and rows a level reads; the corners are
    averaged in the order of PyTorch's CPU bilinear kernel (the same values
    on CPU; other devices may round the mean differently, far below the
    masks' 0.5 threshold). Other sizes run the original computation.

    Args:
        logits (Tensor): ``(B, Q, H, W)`` mask logits.
        sizes (Sequence[tuple[int, int]]): Output ``(h, w)`` per level.

    Returns:
        list[Tensor]: ``(B, Q, h, w)`` per level.
    """
    height, width = logits.shape[-2:]
    col_cache: Dict[int, Tensor] = {}
    outs = []
    for size in sizes:
        h, w = int(size[0]), int(size[1])
        s = max(int(round(height / h)), 1)
        exact = height == s * h and width == s * w and (s == 1
                                                        or s % 2 == 0)
        if not exact:  # the original's computation, the max-pool separable
            k = 2 * s + 1
            m = F.max_pool2d(logits, (1, k), 1, (0, s))
            m = F.max_pool2d(m, (k, 1), 1, (s, 0))
            outs.append(
                F.interpolate(m, (h, w), mode='bilinear', align_corners=False))
            continue
        cols = _window_max(logits, s, -1, None, col_cache)
        if s == 1:  # same size: the resize is the identity
            outs.append(_window_max(cols, 1, -2))
            continue
        # output i reads rows / columns f*i + f/2 - 1 and f*i + f/2
        # (bilinear weights exactly 1/2, see the docstring)
        cols = torch.cat(
            [cols[..., s // 2 - 1::s][..., :w], cols[..., s // 2::s][..., :w]],
            -1)
        r_idx = torch.arange(h, device=logits.device) * s + s // 2
        m = _window_max(cols, s, -2, torch.cat([r_idx - 1, r_idx]))
        v00, v01 = m[..., :h, :w], m[..., :h, w:]
        v10, v11 = m[..., h:, :w], m[..., h:, w:]
        # the CPU bilinear kernel's sum: weights 1/4, corners in this order
        outs.append(((v00 * 0.25 + v01 * 0.25) + v10 * 0.25) + v11 * 0.25)
    return outs


def dilate_resize(logits: Tensor, size: Tuple[int, int]) -> Tensor:
    """``interpolate(max_pool2d(logits, 2s+1, 1, s), size)`` as the
    original computes masked-attention masks (``s = round(H / h)``,
    bilinear, ``align_corners=False``): :func:`dilate_resize_levels` of one
    size.

    Args:
        logits (Tensor): ``(B, Q, H, W)`` mask logits.
        size (tuple[int, int]): Output ``(h, w)``.

    Returns:
        Tensor: ``(B, Q, h, w)``.
    """
    return dilate_resize_levels(logits, [size])[0]


__all__ = ['dilate_resize', 'dilate_resize_levels']
