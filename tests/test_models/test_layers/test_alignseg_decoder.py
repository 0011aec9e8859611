# Copyright (c) docseg_mm contributors. All rights reserved.
"""AlignSeg's decoder: the post-norm layer formula, and where the corrected
and the faithful (original) multi-layer decoding differ."""
import math

import pytest
import torch
import torch.nn.functional as F

from docseg_mm.models import AlignSegDecoder

C = 12


def manual_mha(q, kv, mha):
    """``nn.MultiheadAttention(batch_first=True)`` written out."""
    w, b = mha.in_proj_weight, mha.in_proj_bias
    heads = mha.num_heads
    qq = F.linear(q, w[:C], b[:C])
    kk = F.linear(kv, w[C:2 * C], b[C:2 * C])
    vv = F.linear(kv, w[2 * C:], b[2 * C:])

    def split(t):
        return t.reshape(t.shape[0], t.shape[1], heads, -1).transpose(1, 2)

    a = (split(qq) @ split(kk).transpose(-2, -1) /
         math.sqrt(C // heads)).softmax(-1)
    out = (a @ split(vv)).transpose(1, 2).reshape(q.shape)
    return F.linear(out, mha.out_proj.weight, mha.out_proj.bias)


def manual_layer(layer, q, tokens):
    """q = LN(q + MHA(q, F, F)); q = LN(q + MHA(q, q, q));
    q = LN(q + W2 ReLU(W1 q))."""
    q = layer.norms[0](q + manual_mha(q, tokens, layer.cross_attn.attn))
    q = layer.norms[1](q + manual_mha(q, q, layer.self_attn.attn))
    w1, w2 = layer.ffn.layers[0][0], layer.ffn.layers[1]
    return layer.norms[2](q + w2(F.relu(w1(q))))


@pytest.fixture
def inputs():
    g = torch.Generator().manual_seed(0)
    return torch.randn(2, 4, C, generator=g), torch.randn(2, 9, C,
                                                          generator=g)


def build(num_layers, faithful):
    torch.manual_seed(3)
    dec = AlignSegDecoder(num_layers=num_layers, embed_dims=C, num_heads=3,
                          feedforward_channels=20, faithful=faithful)
    dec.init_weights()
    for n in dec.modules():  # non-trivial norms
        if isinstance(n, torch.nn.LayerNorm):
            n.weight.data.uniform_(0.5, 1.5)
            n.bias.data.uniform_(-0.5, 0.5)
    return dec


def test_layer_is_the_post_norm_formula(inputs):
    q, tokens = inputs
    dec = build(1, faithful=False)
    torch.testing.assert_close(dec(q, tokens),
                               manual_layer(dec.layers[0], q, tokens))


def test_one_layer_faithful_equals_corrected(inputs):
    q, tokens = inputs
    corrected, faithful = build(1, False), build(1, True)
    faithful.load_state_dict(corrected.state_dict())
    torch.testing.assert_close(faithful(q, tokens), corrected(q, tokens))


def test_three_layers_differ_where_the_spec_says(inputs):
    q, tokens = inputs
    corrected, faithful = build(3, False), build(3, True)
    faithful.load_state_dict(corrected.state_dict())
    layers = corrected.layers
    chained = manual_layer(layers[2], manual_layer(
        layers[1], manual_layer(layers[0], q, tokens), tokens), tokens)
    last_only = manual_layer(layers[2], q, tokens)
    torch.testing.assert_close(corrected(q, tokens), chained)
    torch.testing.assert_close(faithful(q, tokens), last_only)
    assert not torch.allclose(chained, last_only, atol=1e-3)
    # Faithful: layers 0 and 1 get no gradient, the last one does.
    faithful(q, tokens).sum().backward()
    for i, layer in enumerate(faithful.layers):
        grads = [p.grad for p in layer.parameters()]
        if i < 2:
            assert all(g is None for g in grads)
        else:
            assert all(g is not None for g in grads)
    corrected(q, tokens).pow(2).sum().backward()
    for layer in corrected.layers:
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in layer.parameters())
