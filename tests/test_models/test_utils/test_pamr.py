# Copyright (c) docseg_mm contributors. All rights reserved.
"""PAMR against a brute-force per-pixel loop."""
import math

import numpy as np
import pytest
import torch

from docseg_mm.models.utils import pamr

OFFSETS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0),
           (1, 1)]


def _pamr_loop(img, mask, dilations, num_iter):
    """PAMR written pixel by pixel (clamped neighbours = replicate pad)."""
    k, h, w = img.shape
    at = lambda a, y, x: a[:, min(max(y, 0), h - 1), min(max(x, 0), w - 1)]
    aff = np.zeros((h, w, 8 * len(dilations)))
    for i in range(h):
        for j in range(w):
            window = [at(img, i + dy * d, j + dx * d) for d in dilations
                      for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
            window = np.stack(window, 1)  # (K, 9 * D)
            sigma = window.std(1, ddof=1)
            logits = []
            for d in dilations:
                for dy, dx in OFFSETS:
                    nb = at(img, i + dy * d, j + dx * d)
                    diff = np.abs(img[:, i, j] - nb)
                    logits.append(np.mean(-diff / (1e-8 + 0.1 * sigma)))
            e = np.exp(np.array(logits) - max(logits))
            aff[i, j] = e / e.sum()
    for _ in range(num_iter):
        new = np.zeros_like(mask)
        for i in range(h):
            for j in range(w):
                p = 0
                for d in dilations:
                    for dy, dx in OFFSETS:
                        new[:, i, j] += aff[i, j, p] * at(mask, i + dy * d,
                                                          j + dx * d)
                        p += 1
        mask = new
    return mask


@pytest.mark.parametrize('dilations', [(1, 2), (1, 3, 8)])
def test_pamr_matches_brute_force(dilations):
    # (1, 3, 8): the small dilations read a padding made for 8, wider than
    # the image
    rng = np.random.default_rng(0)
    img = rng.random((3, 6, 7))
    img[:, :, 4:] += 1.0  # an edge the affinities must respect
    mask = rng.random((2, 6, 7))
    expected = _pamr_loop(img, mask, dilations, 3)
    out = pamr(torch.from_numpy(img)[None], torch.from_numpy(mask)[None],
               num_iter=3, dilations=dilations)[0].numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-12)


def test_pamr_resizes_masks_and_keeps_constants():
    img = torch.rand(1, 3, 8, 10, dtype=torch.float64)
    mask = torch.full((1, 2, 4, 5), 0.25, dtype=torch.float64)
    out = pamr(img, mask, num_iter=2, dilations=(1, ))
    assert out.shape == (1, 2, 8, 10)
    # affinities sum to one: a constant mask stays constant
    assert torch.allclose(out, torch.full_like(out, 0.25))
    assert math.isclose(float(out.sum()), 0.25 * 2 * 80)
