# Copyright (c) docseg_mm contributors. All rights reserved.
"""``masked_cross_attention`` equals the computation it replaces:
``nn.MultiheadAttention`` with a ``(B * heads, Q, S)`` mask, and (folded)
the plain key / value projections."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from docseg_mm.models.layers.docsam_attention import masked_cross_attention
from ..docsam_helpers import one_thread  # noqa: F401 (autouse fixture)
from ..docsam_reference import ref_mha

B, Q, S, C, H = 2, 3, 20, 16, 4


def make_attn(bias=True, seed=0, dropout=0.0):
    torch.manual_seed(seed)
    attn = nn.MultiheadAttention(
        C, H, dropout=dropout, bias=bias, batch_first=True)
    with torch.no_grad():
        for p in attn.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    return attn


def make_inputs(seed=1, q=Q):
    gen = torch.Generator().manual_seed(seed)
    query = torch.randn(B, q, C, generator=gen)
    key = torch.randn(B, S, C, generator=gen)
    value = torch.randn(B, S, C, generator=gen)
    blocked = torch.rand(B, q, S, generator=gen) < 0.6
    blocked[0, 0] = True  # blocked on every key: zero attention output
    blocked[1, 1] = False  # open everywhere
    return query, key, value, blocked


def repeated_mask_attention(attn, query, key, value, blocked):
    """The computation ``masked_cross_attention`` replaces: the module with
    one ``(B * heads, Q, S)`` mask."""
    return attn(
        query,
        key,
        value,
        attn_mask=blocked.repeat_interleave(H, 0),
        need_weights=False)[0]


@pytest.mark.parametrize('bias', [True, False])
@pytest.mark.parametrize('fold', [False, True])
def test_equals_multihead_attention_with_repeated_masks(bias, fold):
    attn = make_attn(bias).eval()
    query, key, value, blocked = make_inputs()
    with torch.no_grad():
        out = masked_cross_attention(
            attn, query, key, value, blocked[:, None], fold=fold)
        old = repeated_mask_attention(attn, query, key, value, blocked)
        ref = ref_mha(
            query, key, value, attn, attn_mask=blocked.repeat_interleave(H, 0))
    assert torch.allclose(out, old, atol=1e-5)
    assert torch.allclose(out, ref, atol=1e-5)
    # the fully blocked row is the output projection of zeros
    expected = attn.out_proj.bias if bias else torch.zeros(C)
    assert torch.allclose(out[0, 0], expected, atol=1e-6)


def test_padding_only_mask_broadcasts():
    attn = make_attn().eval()
    query, key, value, _ = make_inputs()
    pad = torch.zeros(B, S, dtype=torch.bool)
    pad[1, -5:] = True
    with torch.no_grad():
        out = masked_cross_attention(attn, query, key, value, pad[:, None,
                                                                  None])
        old = attn(
            query, key, value, key_padding_mask=pad, need_weights=False)[0]
        none = masked_cross_attention(attn, query, key, value, None)
        old_none = attn(query, key, value, need_weights=False)[0]
    assert torch.allclose(out, old, atol=1e-5)
    assert torch.allclose(none, old_none, atol=1e-5)


def test_fold_is_chosen_for_few_queries(monkeypatch):
    attn = make_attn().eval()
    calls = []
    sdpa = F.scaled_dot_product_attention

    def spy(q, k, v, **kwargs):
        calls.append(q.shape)
        return sdpa(q, k, v, **kwargs)

    monkeypatch.setattr(F, 'scaled_dot_product_attention', spy)
    query, key, value, blocked = make_inputs(q=4)  # 4 * 4 heads <= 16
    many = make_inputs(q=5)  # 5 * 4 > 16
    with torch.no_grad():
        masked_cross_attention(
            attn, query, key, value, blocked[:, None], backend='sdpa')
        assert calls == []  # folded: no per-head projections
        masked_cross_attention(
            attn,
            many[0],
            many[1],
            many[2],
            many[3][:, None],
            backend='sdpa')
        assert calls == [(B, H, 5, C // H)]
        # the written-out backend (the CPU default) does not call it
        masked_cross_attention(attn, many[0], many[1], many[2], many[3][:,
                                                                        None])
    assert calls == [(B, H, 5, C // H)]


def test_gradients_equal_folded_and_plain():
    grads = []
    for fold in (False, True):
        attn = make_attn()
        query, key, value, blocked = make_inputs()
        query.requires_grad_(True)
        key.requires_grad_(True)
        value.requires_grad_(True)
        out = masked_cross_attention(
            attn, query, key, value, blocked[:, None], fold=fold)
        (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum() \
            .backward()
        grads.append([query.grad, key.grad, value.grad] +
                     [p.grad for p in attn.parameters()])
    for a, b in zip(*grads):
        assert torch.allclose(a, b, atol=1e-4), (a - b).abs().max()


def dropped_reference(attn, query, key, value, blocked, keep):
    """Masked attention written out per head with plain products, the
    probabilities multiplied by a fixed dropout mask ``keep``."""
    e, d = C, C // H
    w, b = attn.in_proj_weight, attn.in_proj_bias

    def proj(x, i):
        y = x @ w[i * e:(i + 1) * e].t() + b[i * e:(i + 1) * e]
        return y.view(B, -1, H, d).transpose(1, 2)

    scores = proj(query, 0) @ proj(key, 1).transpose(-1, -2) / d**0.5
    mask = blocked[:, None].expand_as(scores)
    probs = scores.masked_fill(mask, float('-inf')).softmax(-1)
    probs = probs.masked_fill(mask.all(-1, keepdim=True), 0.0) * keep
    out = (probs @ proj(value, 2)).transpose(1, 2)
    return attn.out_proj(out.reshape(B, query.shape[1], e))


def test_folded_attention_dropout(monkeypatch):
    """Train mode: the folded path drops attention probabilities like the
    plain computation (the value bias is weighted by the dropped row
    sums). A fixed dropout mask replaces the random one."""
    import docseg_mm.models.layers.docsam_attention as mod
    attn = make_attn(dropout=0.5).train()
    query, key, value, blocked = make_inputs()
    gen = torch.Generator().manual_seed(3)
    keep = (torch.rand(B, H, Q, S, generator=gen) > 0.5).float() * 2

    def fixed_dropout(probs, p):
        assert p == 0.5
        return probs * keep

    monkeypatch.setattr(mod, 'attention_dropout', fixed_dropout)
    out = masked_cross_attention(
        attn, query, key, value, blocked[:, None], fold=True)
    # plain: per-head projections, the same dropped probabilities
    ref = dropped_reference(attn, query, key, value, blocked, keep)
    assert torch.allclose(out, ref, atol=1e-5)
    assert not torch.allclose(
        out,
        repeated_mask_attention(attn.eval(), query, key, value, blocked),
        atol=1e-3)


def _layouts(x):
    """The same ``(B, S, C)`` tokens as a contiguous tensor, as the view of
    an NCHW map and as the view of a channels-last map (S = 4 x 5)."""
    nchw = x.transpose(1, 2).reshape(B, C, 4, 5).contiguous()
    cl = nchw.contiguous(memory_format=torch.channels_last)
    return {
        'tokens': x,
        'nchw': nchw.flatten(2).transpose(1, 2),
        'channels_last': cl.flatten(2).transpose(1, 2),
    }


@pytest.mark.parametrize('bias', [True, False])
@pytest.mark.parametrize('layout', ['tokens', 'nchw', 'channels_last'])
@pytest.mark.parametrize('fold', [False, True])
def test_matmul_backend_equals_repeated_mask_attention(bias, layout, fold):
    """The written-out path (and the folded one), on strided key / value
    views, equals ``nn.MultiheadAttention`` with the ``(B * heads, Q, S)``
    mask it replaces: values and the gradients of inputs and weights, in
    float64."""
    results = []
    for new in (True, False):
        attn = make_attn(bias).double()
        query, key, value, blocked = (
            t.double() if t.is_floating_point() else t
            for t in make_inputs(q=5))
        query.requires_grad_(True)
        key.requires_grad_(True)
        value.requires_grad_(True)
        if new:
            out = masked_cross_attention(
                attn,
                query,
                _layouts(key)[layout],
                _layouts(value)[layout],
                blocked[:, None],
                fold=fold,
                backend='matmul')
        else:
            out = repeated_mask_attention(attn, query, key, value, blocked)
        weight = torch.linspace(-1, 1, out.numel(), dtype=out.dtype)
        (out * weight.view_as(out)).sum().backward()
        results.append([out, query.grad, key.grad, value.grad] +
                       [p.grad for p in attn.parameters()])
    for a, b in zip(*results):
        assert torch.allclose(a, b, atol=1e-10), (a - b).abs().max()


def test_matmul_backend_equals_sdpa_float32():
    attn = make_attn().eval()
    query, key, value, blocked = make_inputs(q=5)
    with torch.no_grad():
        outs = [
            masked_cross_attention(
                attn,
                query,
                key,
                value,
                blocked[:, None],
                fold=False,
                backend=b) for b in ('matmul', 'sdpa')
        ]
    assert torch.allclose(outs[0], outs[1], atol=1e-5)
    with pytest.raises(ValueError, match='backend'):
        masked_cross_attention(attn, query, key, value, backend='flash')


def test_matmul_backend_attention_dropout(monkeypatch):
    """Train mode: the written-out path drops the attention probabilities
    (fixed dropout mask) as the plain computation does."""
    import docseg_mm.models.layers.docsam_attention as mod
    attn = make_attn(dropout=0.5).train()
    query, key, value, blocked = make_inputs(q=5)
    gen = torch.Generator().manual_seed(3)
    keep = (torch.rand(B, H, 5, S, generator=gen) > 0.5).float() * 2

    def fixed_dropout(probs, p):
        assert p == 0.5
        return probs * keep

    monkeypatch.setattr(mod, 'attention_dropout', fixed_dropout)
    out = masked_cross_attention(
        attn, query, key, value, blocked[:, None], fold=False,
        backend='matmul')
    ref = dropped_reference(attn, query, key, value, blocked, keep)
    assert torch.allclose(out, ref, atol=1e-5)
