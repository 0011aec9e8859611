# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Tuple

import torch
import torch.nn.functional as F


def window_pool(tokens: torch.Tensor, grid_size: Tuple[int, int],
                num_windows: int) -> torch.Tensor:
    """Average tokens over ``num_windows`` column windows of the patch grid.

    DiG's window features (``PatchNet`` without its transformer): the
    (B, h*w, C) row-major tokens are laid out on the (h, w) grid and
    adaptive-average-pooled to (1, num_windows).

    Args:
        tokens (Tensor): (B, h*w, C) tokens.
        grid_size (tuple[int, int]): (h, w).
        num_windows (int): Number of windows along the width.

    Returns:
        Tensor: (B, num_windows, C) window features.
    """
    b, n, c = tokens.shape
    h, w = grid_size
    if n != h * w:
        raise ValueError(f'{n} tokens do not fill a {h}x{w} grid')
    grid = tokens.reshape(b, h, w, c).permute(0, 3, 1, 2)
    pooled = F.adaptive_avg_pool2d(grid, (1, num_windows))
    return pooled.flatten(2).transpose(1, 2)
