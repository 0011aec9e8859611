# Copyright (c) docseg_mm contributors. All rights reserved.
"""Regular (optionally jittered) point grids and bilinear point sampling.

DocSAM supervises and matches masks on one point per cell of the stride-4
mask grid: the cell centre, shifted by a uniform random offset of up to half
a cell in each direction. The same normalised points are read bilinearly
from the low-resolution mask logits and from the full-resolution ground
truth masks.
"""
from typing import Optional, Union

import torch
import torch.nn.functional as F
from torch import Tensor


def jittered_grid_points(
        height: int,
        width: int,
        device: Union[str, torch.device, None] = None,
        jitter: bool = True,
        generator: Optional[torch.Generator] = None) -> Tensor:
    """Build one point per cell of a ``height x width`` grid.

    Cell ``(i, j)`` (row ``i``, column ``j``) gives the point
    ``x = (j + 0.5 + u) / width``, ``y = (i + 0.5 + v) / height`` with
    ``u, v ~ U[-0.5, 0.5)`` when ``jitter`` is True and ``u = v = 0``
    otherwise, so every point stays inside its own cell. Points are listed
    row-major (``y`` outer, ``x`` inner).

    Args:
        height (int): Number of grid rows.
        width (int): Number of grid columns.
        device (str | torch.device, optional): Device of the result.
            Defaults to None (the default device).
        jitter (bool): Whether to add the random in-cell offset.
            Defaults to True.
        generator (torch.Generator, optional): Random generator for the
            offsets; it must live on ``device``. Defaults to None (the global
            generator).

    Returns:
        Tensor: Normalised ``(x, y)`` coordinates in [0, 1], shape
        ``(height * width, 2)``, dtype float32.
    """
    if height <= 0 or width <= 0:
        raise ValueError(f'grid size must be positive, got {(height, width)}')
    ys = torch.arange(height, device=device, dtype=torch.float32) + 0.5
    xs = torch.arange(width, device=device, dtype=torch.float32) + 0.5
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing='ij')
    if jitter:
        offsets = torch.rand((2, height, width),
                             generator=generator,
                             device=device,
                             dtype=torch.float32) - 0.5
        grid_x = grid_x + offsets[0]
        grid_y = grid_y + offsets[1]
    points = torch.stack(
        [grid_x.reshape(-1) / width,
         grid_y.reshape(-1) / height], dim=-1)
    return points.clamp(0.0, 1.0)


def sample_points(masks: Tensor, points: Tensor) -> Tensor:
    """Bilinearly read several masks at the same normalised points.

    Equivalent to ``F.grid_sample(..., mode='bilinear', padding_mode='zeros',
    align_corners=False)`` with the points mapped from [0, 1] to [-1, 1], so
    the point ``(x, y)`` sits at pixel position ``(x * W - 0.5, y * H - 0.5)``
    in pixel-centre coordinates.

    Args:
        masks (Tensor): Masks or mask logits of shape (N, H, W). Non-floating
            masks (bool, uint8) are converted to float32.
        points (Tensor): Normalised ``(x, y)`` coordinates in [0, 1], shape
            (P, 2).

    Returns:
        Tensor: Sampled values of shape (N, P).
    """
    if not masks.is_floating_point():
        masks = masks.float()
    num_masks = masks.shape[0]
    num_points = points.shape[0]
    if num_masks == 0 or num_points == 0:
        return masks.new_zeros((num_masks, num_points))
    grid = (2.0 * points.to(masks) - 1.0).view(1, 1, num_points, 2)
    # the masks are the channels of a single image: (1, N, H, W)
    sampled = F.grid_sample(
        masks[None], grid, mode='bilinear', align_corners=False)
    return sampled.view(num_masks, num_points)
