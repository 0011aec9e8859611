# Copyright (c) docseg_mm contributors. All rights reserved.
import numpy as np
import pytest
import torch

from docseg_mm.models.utils.point_sample_grid import (jittered_grid_points,
                                                      sample_points)


def test_grid_without_jitter_is_cell_centres():
    height, width = 3, 5
    points = jittered_grid_points(height, width, jitter=False)
    expected = [[(j + 0.5) / width, (i + 0.5) / height] for i in range(height)
                for j in range(width)]
    assert points.shape == (height * width, 2)
    assert points.dtype == torch.float32
    np.testing.assert_allclose(points.numpy(), np.array(expected), atol=1e-7)


def test_jittered_points_stay_in_their_cell():
    height, width = 7, 4
    gen = torch.Generator().manual_seed(0)
    points = jittered_grid_points(height, width, generator=gen).numpy()
    assert points.min() >= 0.0 and points.max() <= 1.0
    rows = np.repeat(np.arange(height), width)
    cols = np.tile(np.arange(width), height)
    tol = 1e-6
    assert np.all(points[:, 0] >= cols / width - tol)
    assert np.all(points[:, 0] <= (cols + 1) / width + tol)
    assert np.all(points[:, 1] >= rows / height - tol)
    assert np.all(points[:, 1] <= (rows + 1) / height + tol)
    # the offsets are really random, not the centres
    centres = jittered_grid_points(height, width, jitter=False).numpy()
    assert np.abs(points - centres).max() > 0.1 / max(height, width)


def test_jitter_is_reproducible_with_generator():
    first = jittered_grid_points(
        4, 6, generator=torch.Generator().manual_seed(3))
    second = jittered_grid_points(
        4, 6, generator=torch.Generator().manual_seed(3))
    third = jittered_grid_points(
        4, 6, generator=torch.Generator().manual_seed(4))
    assert torch.equal(first, second)
    assert not torch.equal(first, third)


def test_invalid_grid_size():
    with pytest.raises(ValueError):
        jittered_grid_points(0, 3)


def test_sample_at_own_cell_centres_returns_pixels():
    masks = torch.rand(3, 5, 6, generator=torch.Generator().manual_seed(1))
    points = jittered_grid_points(5, 6, jitter=False)
    sampled = sample_points(masks, points)
    assert sampled.shape == (3, 30)
    np.testing.assert_allclose(
        sampled.numpy(), masks.reshape(3, -1).numpy(), atol=1e-6)


def test_sample_full_resolution_mask_on_stride4_grid():
    # A stride-4 cell centre lies between full-resolution pixels 4k+1 and
    # 4k+2 in both directions: bilinear sampling averages those 2x2 pixels.
    height, width = 3, 4
    masks = (torch.rand(
        2, 4 * height, 4 * width, generator=torch.Generator().manual_seed(2))
             > 0.5).float()
    points = jittered_grid_points(height, width, jitter=False)
    sampled = sample_points(masks, points).numpy()
    m = masks.numpy()
    expected = np.array([[
        m[n, 4 * i + 1:4 * i + 3, 4 * j + 1:4 * j + 3].mean()
        for i in range(height) for j in range(width)
    ] for n in range(2)])
    np.testing.assert_allclose(sampled, expected, atol=1e-6)


def test_sample_linear_ramp_at_jittered_points():
    # bilinear interpolation reproduces an affine image exactly inside the
    # pixel-centre hull; point (x, y) maps to pixel (x*W - 0.5, y*H - 0.5)
    height, width = 8, 12
    yy, xx = torch.meshgrid(
        torch.arange(height, dtype=torch.float32),
        torch.arange(width, dtype=torch.float32),
        indexing='ij')
    masks = torch.stack([2.0 * xx - yy + 3.0, torch.full_like(xx, 0.7)])
    points = jittered_grid_points(
        4, 6, generator=torch.Generator().manual_seed(5))
    px = points[:, 0] * width - 0.5
    py = points[:, 1] * height - 0.5
    inside = (px >= 0) & (px <= width - 1) & (py >= 0) & (py <= height - 1)
    assert inside.sum() > 10
    sampled = sample_points(masks, points)
    np.testing.assert_allclose(
        sampled[0, inside].numpy(), (2.0 * px - py + 3.0)[inside].numpy(),
        atol=1e-5)
    np.testing.assert_allclose(sampled[1, inside].numpy(), 0.7, atol=1e-6)


def test_sample_bool_masks_and_empty_inputs():
    masks = torch.zeros(2, 4, 4, dtype=torch.bool)
    masks[1] = True
    points = jittered_grid_points(4, 4, jitter=False)
    sampled = sample_points(masks, points)
    assert sampled.dtype == torch.float32
    assert torch.equal(sampled[0], torch.zeros(16))
    assert torch.equal(sampled[1], torch.ones(16))
    assert sample_points(torch.zeros(0, 4, 4), points).shape == (0, 16)
    assert sample_points(masks.float(), points[:0]).shape == (2, 0)
