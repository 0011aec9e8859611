# Copyright (c) docseg_mm contributors. All rights reserved.
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from docseg_mm.models.backbones import DiGViT
from docseg_mm.models.layers import sinusoid_table

ARCH = dict(embed_dims=16, num_layers=2, num_heads=2, feedforward_channels=32)


def numpy_sinusoid(n: int, d: int) -> np.ndarray:
    """DiG's ``get_sinusoid_encoding_table``, written out."""
    table = np.array([[p / np.power(10000, 2 * (j // 2) / d)
                       for j in range(d)] for p in range(n)])
    table[:, 0::2] = np.sin(table[:, 0::2])
    table[:, 1::2] = np.cos(table[:, 1::2])
    return table


def test_sinusoid_table_matches_formula():
    np.testing.assert_allclose(sinusoid_table(256, 16).numpy(),
                               numpy_sinusoid(256, 16), atol=1e-6)


def reference_forward(sd: dict, x: torch.Tensor, mask: torch.Tensor,
                      heads: int, final_norm: bool,
                      stride=4) -> torch.Tensor:
    """BEiT-style ViT of DiG from its weights (independent code)."""
    t = F.conv2d(x, sd['patch_embed.projection.weight'],
                 sd['patch_embed.projection.bias'], stride=stride)
    t = t.flatten(2).transpose(1, 2)  # B, N, C row-major
    m = mask.flatten(1).float()[..., None]
    t = t * (1 - m) + sd['mask_token'] * m
    b, n, c = t.shape
    t = t + torch.from_numpy(numpy_sinusoid(n, c)).float()
    i = 0
    while f'layers.{i}.ln1.weight' in sd:
        p = f'layers.{i}.'
        h = F.layer_norm(t, (c, ), sd[p + 'ln1.weight'], sd[p + 'ln1.bias'],
                         1e-6)
        bias = torch.cat([sd[p + 'attn.q_bias'], torch.zeros(c),
                          sd[p + 'attn.v_bias']])
        qkv = (h @ sd[p + 'attn.qkv.weight'].t() + bias).view(
            b, n, 3, heads, c // heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-1, -2) / math.sqrt(c // heads)).softmax(-1)
        o = (att @ v).transpose(1, 2).reshape(b, n, c)
        t = t + o @ sd[p + 'attn.proj.weight'].t() + sd[p + 'attn.proj.bias']
        h = F.layer_norm(t, (c, ), sd[p + 'ln2.weight'], sd[p + 'ln2.bias'],
                         1e-6)
        h = F.gelu(h @ sd[p + 'ffn.layers.0.0.weight'].t() +
                   sd[p + 'ffn.layers.0.0.bias'])
        t = t + h @ sd[p + 'ffn.layers.1.weight'].t() + sd[
            p + 'ffn.layers.1.bias']
        i += 1
    if final_norm:
        t = F.layer_norm(t, (c, ), sd['ln1.weight'], sd['ln1.bias'], 1e-6)
    return t


@pytest.mark.parametrize('final_norm', [False, True])
def test_forward_matches_reference(final_norm):
    torch.manual_seed(0)
    model = DiGViT(arch=ARCH, final_norm=final_norm)
    model.init_weights()
    with torch.no_grad():  # non-trivial biases and mask token
        for name, p in model.named_parameters():
            if name.endswith(('bias', 'mask_token')):
                p.normal_()
    model.eval()
    x = torch.randn(2, 3, 32, 128)
    mask = torch.rand(2, 8, 32) > 0.5
    out = model(x, mask)[0]
    ref = reference_forward(model.state_dict(), x, mask, 2, final_norm)
    torch.testing.assert_close(out, ref, atol=1e-4, rtol=1e-4)
    # The position table is not part of the state dict (as in DiG).
    assert 'pos_embed' not in model.state_dict()


def test_rectangular_patches_match_reference():
    """(32, 4) patches: a single row of 32 column strips."""
    torch.manual_seed(0)
    model = DiGViT(arch=ARCH, patch_size=(32, 4))
    model.init_weights()
    assert model.grid_size == (1, 32)
    assert model.patch_embed.projection.weight.shape == (16, 3, 32, 4)
    bound = math.sqrt(6. / (3 * 32 * 4 + 16))
    assert model.patch_embed.projection.weight.abs().max() <= bound
    model.eval()
    x = torch.randn(2, 3, 32, 128)
    mask = torch.rand(2, 1, 32) > 0.5
    ref = reference_forward(model.state_dict(), x, mask, 2, False,
                            stride=(32, 4))
    torch.testing.assert_close(model(x, mask)[0], ref, atol=1e-4,
                               rtol=1e-4)
    with pytest.raises(ValueError, match='not divisible'):
        DiGViT(arch=ARCH, patch_size=(5, 4))


def test_output_types_and_layer_depth():
    x = torch.randn(1, 3, 32, 128)
    raw = DiGViT(arch=ARCH)
    raw.eval()
    tokens = raw(x)[0]
    fm = DiGViT(arch=ARCH, out_type='featmap')
    fm.load_state_dict(raw.state_dict())
    fm.eval()
    grid = fm(x)[0]
    assert torch.allclose(grid[0, :, 1, 3], tokens[0, 1 * 32 + 3])
    assert raw.get_layer_depth('backbone.mask_token', 'backbone.') == (0, 4)
    assert raw.get_layer_depth('backbone.layers.1.attn.qkv.weight',
                               'backbone.') == (2, 4)
    assert raw.get_layer_depth('backbone.ln1.weight', 'backbone.') == (3, 4)
    assert raw.get_layer_depth('decoder.classifier.weight',
                               'backbone.') == (3, 4)


def test_mocov3_patch_init_bound():
    model = DiGViT(arch=ARCH)
    model.init_weights()
    bound = math.sqrt(6. / (3 * 16 + 16))
    w = model.patch_embed.projection.weight
    assert w.abs().max() <= bound and w.abs().max() > 0.8 * bound
    assert torch.all(model.patch_embed.projection.bias == 0)
