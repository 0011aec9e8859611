# Copyright (c) docseg_mm contributors. All rights reserved.
"""``resize_bilinear`` equals ``F.interpolate(bilinear, align_corners=False)``,
also where it skips the resize (same size: the identity), values and
gradients, for NCHW and channels-last maps."""
import pytest
import torch
import torch.nn.functional as F

from docseg_mm.models.utils.resize import resize_bilinear


@pytest.mark.parametrize('channels_last', [False, True])
@pytest.mark.parametrize('size', [(9, 11), (18, 22), (5, 4)])
def test_equals_interpolate(channels_last, size):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 4, 9, 11, generator=gen, dtype=torch.float64) * 50
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    grad = torch.randn(2, 4, *size, generator=gen, dtype=torch.float64)
    a = x.clone().requires_grad_()
    b = x.clone().requires_grad_()
    out = resize_bilinear(a, size)
    ref = F.interpolate(b, size, mode='bilinear', align_corners=False)
    assert torch.equal(out, ref)
    out.backward(grad)
    ref.backward(grad)
    assert torch.equal(a.grad, b.grad)
    # the same size is skipped, not recomputed
    assert resize_bilinear(x, (9, 11)) is x
