# Copyright (c) docseg_mm contributors. All rights reserved.
"""The trimmed ASPP equals mmseg's ASPPModule (outputs and gradients)."""
import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.decode_heads.aspp_head import ASPPModule

from docseg_mm.models.layers import TrimmedASPPModule, trimmed_conv2d
from docseg_mm.models.layers.trimmed_aspp import kept_taps


def test_kept_taps_formula():
    # 3x3, dilation 12, map 16: offsets 0, +-12 all reach inside
    assert kept_taps(3, 12, 12, 16) == 1
    # dilation 24 / 36 on 16 or 20: only the centre tap reads the map
    assert kept_taps(3, 24, 24, 20) == 0
    assert kept_taps(3, 36, 36, 16) == 0
    # offset == size reads the first padded row: dropped
    assert kept_taps(3, 8, 8, 8) == 0 and kept_taps(3, 7, 7, 8) == 1
    # 5x5, dilation 2, map 3: offsets 0, +-2 kept, +-4 dropped
    assert kept_taps(5, 2, 4, 3) == 1
    # not a same-size convolution: untouched
    assert kept_taps(3, 12, 0, 4) == 1


@pytest.mark.parametrize('size', [(16, 20), (8, 10), (13, 40), (3, 2)])
def test_trimmed_conv_equals_padded_conv(size):
    torch.manual_seed(0)
    conv = nn.Conv2d(5, 4, 3, padding=12, dilation=12).double()
    x = torch.randn(2, 5, *size, dtype=torch.float64)
    # independent reference: zero-pad by hand, dilated taps as slices
    h, w = size
    pad = F.pad(x, [12] * 4)
    ref = conv.bias.view(1, -1, 1, 1).expand(2, 4, h, w).clone()
    for i in range(3):
        for j in range(3):
            patch = pad[:, :, 12 * i:12 * i + h, 12 * j:12 * j + w]
            ref += torch.einsum('bchw,oc->bohw', patch, conv.weight[:, :, i, j])
    torch.testing.assert_close(trimmed_conv2d(conv, x), ref)


@pytest.mark.parametrize('size', [(16, 20), (8, 10), (5, 30)])
def test_trimmed_aspp_equals_mmseg_aspp(size):
    torch.manual_seed(0)
    kw = dict(conv_cfg=None, norm_cfg=dict(type='BN'),
              act_cfg=dict(type='ReLU'))
    plain = ASPPModule((1, 12, 24, 36), 6, 4, **kw).double()
    trimmed = TrimmedASPPModule((1, 12, 24, 36), 6, 4, **kw).double()
    trimmed.load_state_dict(plain.state_dict())
    assert list(trimmed.state_dict()) == list(plain.state_dict())
    x = torch.randn(2, 6, *size, dtype=torch.float64)
    outs = [torch.cat(m(x), 1) for m in (plain, trimmed)]
    torch.testing.assert_close(outs[1], outs[0])
    g = torch.randn_like(outs[0])
    grads = []
    for m, out in zip((plain, trimmed), outs):
        (out * g).sum().backward()
        grads.append({n: p.grad.clone() for n, p in m.named_parameters()})
    for name in grads[0]:
        torch.testing.assert_close(grads[1][name], grads[0][name])
    # the dropped taps get exactly zero gradient, as in the padded conv
    assert grads[0]['3.conv.weight'][:, :, 0].abs().max() == 0


def test_non_same_convolution_untouched():
    conv = nn.Conv2d(2, 2, 3, padding=0, dilation=4)
    x = torch.randn(1, 2, 12, 12)
    torch.testing.assert_close(trimmed_conv2d(copy.deepcopy(conv), x),
                               conv(x))
