# Copyright (c) docseg_mm contributors. All rights reserved.
"""``separable_roi_align`` equals ``torchvision.ops.roi_align`` (the
computation it replaces): the same values and input gradient up to float
summation order."""
import pytest
import torch
from torchvision.ops import roi_align

from docseg_mm.models.utils.separable_roi_align import (roi_align_weights,
                                                        separable_roi_align)
from ..docsam_helpers import one_thread  # noqa: F401 (autouse fixture)


def random_boxes(gen, n, h, w, scale):
    """Boxes in input pixels: inside, crossing the border, tiny, inverted,
    at the bottom-right edge."""
    xy = torch.rand(n, 2, generator=gen, dtype=torch.float64)
    xy = xy * torch.tensor([w, h], dtype=torch.float64) / scale
    wh = torch.rand(n, 2, generator=gen, dtype=torch.float64) * 40 / scale
    boxes = torch.cat([xy - 5, xy + wh], 1)
    boxes[0] = torch.tensor([0., 0., w / scale, h / scale])  # whole map
    boxes[1] = torch.tensor([2., 3., 2.5, 3.2])  # smaller than a pixel
    boxes[2] = torch.tensor([30., 20., 10., 5.])  # inverted
    boxes[3] = torch.tensor([w / scale - 3, h / scale - 2, w / scale + 9,
                             h / scale + 7])  # over the far edge
    boxes[4] = torch.tensor([-50., -40., -10., -20.]) / (4 * scale)  # outside
    return boxes


@pytest.mark.parametrize('scale,ratio,aligned', [(0.25, -1, False),
                                                 (1 / 32, -1, False),
                                                 (0.5, 2, False),
                                                 (0.25, -1, True)])
def test_equals_torchvision_values_and_gradients(scale, ratio, aligned):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 5, 17, 23, generator=gen, dtype=torch.float64)
    h, w = x.shape[-2:]
    boxes = [random_boxes(gen, 12, h, w, scale),
             random_boxes(gen, 7, h, w, scale)]
    x1 = x.clone().requires_grad_(True)
    x2 = x.clone().requires_grad_(True)
    ref = roi_align(x1, boxes, (3, 4), scale, ratio, aligned)
    out = separable_roi_align(x2, boxes, (3, 4), scale, ratio, aligned)
    assert torch.allclose(out, ref, atol=1e-12, rtol=1e-12)
    assert ref.abs().max() > 0
    # no sampling point on the map: zero, as torchvision
    assert out[4].abs().max() == 0 and ref[4].abs().max() == 0
    g = torch.randn(ref.shape, generator=gen, dtype=torch.float64)
    ref.backward(g)
    out.backward(g)
    assert torch.allclose(x2.grad, x1.grad, atol=1e-10, rtol=1e-10)
    assert x1.grad.abs().max() > 0


def test_weights_reproduce_forward():
    """out[r, c] = A_y[r] @ x[c] @ A_x[r].T for every RoI."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(1, 3, 20, 16, generator=gen, dtype=torch.float64)
    boxes = random_boxes(gen, 9, 20, 16, 0.5)
    rois = torch.cat([torch.zeros(9, 1, dtype=torch.float64), boxes], 1)
    a_y, a_x = roi_align_weights(rois, 20, 16, (7, 7), 0.5, -1, False)
    ref = roi_align(x, rois, 7, 0.5)
    out = torch.einsum('rph,chw,rqw->rcpq', a_y, x[0], a_x)
    assert torch.allclose(out, ref, atol=1e-12)


def test_float32_channel_chunks_and_list_or_tensor_boxes():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(2, 150, 20, 20, generator=gen, requires_grad=True)
    boxes = [random_boxes(gen, 6, 20, 20, 0.25).float() for _ in range(2)]
    out = separable_roi_align(x, boxes, 7, 0.25)
    g = torch.randn(out.shape, generator=gen)
    out.backward(g)
    grad = x.grad.clone()
    x.grad = None
    rois = torch.cat([torch.cat([torch.full((6, 1), float(i)), b], 1)
                      for i, b in enumerate(boxes)])
    ref = roi_align(x, rois, 7, 0.25)
    ref.backward(g)
    assert torch.allclose(out, ref, atol=1e-5)
    assert torch.allclose(grad, x.grad, atol=1e-5)


def test_channels_last_input_and_no_grad():
    """A channels-last map (DocSAM's coarse levels) and inference under
    ``no_grad`` give torchvision's values."""
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 8, 12, 9, generator=gen, dtype=torch.float64)
    boxes = [random_boxes(gen, 6, 12, 9, 0.5) for _ in range(2)]
    ref = roi_align(x, boxes, (7, 7), 0.5)
    with torch.no_grad():
        out = separable_roi_align(
            x.contiguous(memory_format=torch.channels_last), boxes, 7, 0.5)
    assert torch.allclose(out, ref, atol=1e-12)
