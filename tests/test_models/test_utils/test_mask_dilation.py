# Copyright (c) docseg_mm contributors. All rights reserved.
"""``dilate_resize`` equals the computation it replaces: a ``(2s+1)^2``
max-pool at stride 1 followed by the bilinear resize (bit for bit on
CPU), with and without the strided fast path."""
import pytest
import torch
import torch.nn.functional as F

from docseg_mm.models.utils.mask_dilation import (dilate_resize,
                                                   dilate_resize_levels)
from ..docsam_helpers import one_thread  # noqa: F401 (autouse fixture)


def old_dilate_resize(x, size):
    s = max(int(round(x.shape[-2] / size[0])), 1)
    m = F.max_pool2d(x, 2 * s + 1, 1, s)
    return F.interpolate(m, size, mode='bilinear', align_corners=False)


@pytest.mark.parametrize('in_size,out_size', [
    ((80, 80), (10, 10)),  # s = 8, fast path
    ((80, 80), (20, 20)),  # s = 4
    ((80, 64), (40, 32)),  # s = 2
    ((48, 40), (48, 40)),  # s = 1 (same size)
    ((75, 63), (19, 16)),  # not a multiple: general path
    ((72, 80), (9, 10)),
    ((30, 30), (10, 10)),  # odd factor: general path
])
def test_equals_max_pool_then_bilinear(in_size, out_size):
    gen = torch.Generator().manual_seed(sum(in_size + out_size))
    x = torch.randn(2, 7, *in_size, generator=gen) * 4
    x[0, 0] = -5.
    x[0, 0, -1, -1] = 5.  # one positive pixel in the corner
    out = dilate_resize(x, out_size)
    ref = old_dilate_resize(x, out_size)
    assert out.shape == ref.shape
    assert torch.equal(out, ref)
    assert torch.equal(out.sigmoid() < 0.5, ref.sigmoid() < 0.5)
    # the corner pixel is dilated into the last output cell
    assert out[0, 0, -1, -1] > 0


@pytest.mark.parametrize('in_size,sizes', [
    ((80, 80), [(10, 10), (20, 20), (40, 40), (80, 80)]),  # DocSAM levels
    ((96, 64), [(12, 8), (24, 16), (48, 32), (96, 64)]),
    ((48, 72), [(8, 12), (16, 24), (48, 72)]),  # s = 6: radius 3 from 2
    ((75, 63), [(10, 8), (19, 16), (38, 32), (75, 63)]),  # general path
    ((5, 7), [(5, 7)]),
    ((8, 4), [(1, 1), (2, 1), (4, 2), (8, 4)]),  # windows past the map
])
def test_levels_share_row_maxima_bit_for_bit(in_size, sizes):
    """``dilate_resize_levels`` (maxima by doubling, rows shared between
    levels) equals the max-pool + bilinear computation of every level."""
    gen = torch.Generator().manual_seed(sum(in_size))
    x = torch.randn(2, 5, *in_size, generator=gen) * 4
    x[1, 2] = -7.
    x[1, 2, 0, -1] = 3.  # one positive pixel in a corner
    x[1, 3] = -7.
    x[1, 3, in_size[0] // 2, 0] = 1.  # one on the left border
    outs = dilate_resize_levels(x, sizes)
    assert len(outs) == len(sizes)
    for out, size in zip(outs, sizes):
        ref = old_dilate_resize(x, size)
        assert torch.equal(out, ref), (size, (out - ref).abs().max())
        assert out[1, 2, 0, -1] > 0  # the corner pixel reaches its cell
