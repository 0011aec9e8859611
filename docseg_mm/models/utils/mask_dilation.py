# Copyright (c) docseg_mm contributors. All rights reserved.
"""Dilated, resized mask logits for DocSAM's masked attention."""
from typing import Tuple

import torch.nn.functional as F
from torch import Tensor


def dilate_resize(logits: Tensor, size: Tuple[int, int]) -> Tensor:
    """``interpolate(max_pool2d(logits, 2s+1, 1, s), size)`` as the
    original computes masked-attention masks (``s = round(H / h)``,
    bilinear, ``align_corners=False``).

    The ``(2s+1)^2`` max-pool runs separably (same values). When the map is
    an exact multiple ``f`` (1 or even) of ``size`` in both directions, the
    bilinear resize reads output ``i`` as the mean of the input rows /
    columns ``f*i + f/2 - 1`` and ``f*i + f/2`` (weights exactly 1/2), so
    only those rows and columns are max-pooled (strided pooling) and
    averaged in the order of PyTorch's CPU bilinear kernel (the same values
    on CPU; other devices may round the mean differently, far below the
    masks' 0.5 threshold), far fewer of them for the coarse levels.

    Args:
        logits (Tensor): ``(B, Q, H, W)`` mask logits.
        size (tuple[int, int]): Output ``(h, w)``.

    Returns:
        Tensor: ``(B, Q, h, w)``.
    """
    height, width = logits.shape[-2:]
    h, w = int(size[0]), int(size[1])
    s = max(int(round(height / h)), 1)
    k = 2 * s + 1
    exact = height == s * h and width == s * w and (s == 1 or s % 2 == 0)
    if not exact:
        m = F.max_pool2d(logits, (1, k), 1, (0, s))
        m = F.max_pool2d(m, (k, 1), 1, (s, 0))
        return F.interpolate(m, (h, w), mode='bilinear', align_corners=False)
    if s == 1:  # same size: the resize is the identity
        m = F.max_pool2d(logits, (1, 3), 1, (0, 1))
        return F.max_pool2d(m, (3, 1), 1, (1, 0))
    # windows centred on rows f*i + f/2 - 1 (pad f/2 + 1) and f*i + f/2
    # (pad f/2), stride f; the same for the columns
    # (ceil_mode: the last window may reach past the padded end; outside
    # values count as -inf, as max_pool2d's padding)
    rows = [
        F.max_pool2d(logits, (k, 1), (s, 1), (pad, 0),
                     ceil_mode=True)[..., :h, :]
        for pad in (s // 2 + 1, s // 2)
    ]
    corners = [[
        F.max_pool2d(r, (1, k), (1, s), (0, pad), ceil_mode=True)[..., :w]
        for pad in (s // 2 + 1, s // 2)
    ] for r in rows]
    (v00, v01), (v10, v11) = corners
    # the CPU bilinear kernel's sum: weights 1/4, corners in this order
    return ((v00 * 0.25 + v01 * 0.25) + v10 * 0.25) + v11 * 0.25


__all__ = ['dilate_resize']
