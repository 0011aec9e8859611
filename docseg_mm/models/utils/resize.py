# Copyright (c) docseg_mm contributors. All rights reserved.
"""Bilinear resize that skips the identity resize."""
from typing import Tuple

import torch.nn.functional as F
from torch import Tensor


def resize_bilinear(x: Tensor, size: Tuple[int, int]) -> Tensor:
    """Bilinear resize (``align_corners=False``); a map already of that
    size is returned as is (the same values: the resize is then the
    identity, and its copies forward and backward are saved).

    Args:
        x (Tensor): ``(B, C, H, W)``.
        size (tuple[int, int]): Output ``(h, w)``.

    Returns:
        Tensor: ``(B, C, h, w)``.
    """
    size = (int(size[0]), int(size[1]))
    if tuple(x.shape[-2:]) == size:
        return x
    return F.interpolate(x, size=size, mode='bilinear', align_corners=False)


__all__ = ['resize_bilinear']
