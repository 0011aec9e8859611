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


@pytest.mark.parametrize('bias', [True, False])
@pytest.mark.parametrize('fold', [False, True])
def test_equals_multihead_attention_with_repeated_masks(bias, fold):
    attn = make_attn(bias).eval()
    query, key, value, blocked = make_inputs()
    with torch.no_grad():
        out = masked_cross_attention(attn, query, key, value,
                                     blocked[:, None], fold=fold)
        # the old computation: one (B * heads, Q, S) mask
        old = attn(query, key, value,
                   attn_mask=blocked.repeat_interleave(H, 0),
                   need_weights=False)[0]
        ref = ref_mha(query, key, value, attn,
                      attn_mask=blocked.repeat_interleave(H, 0))
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
        out = masked_cross_attention(attn, query, key, value,
                                     pad[:, None, None])
        old = attn(query, key, value, key_padding_mask=pad,
                   need_weights=False)[0]
        none = masked_cross_attention(attn, query, key, value, None)
        old_none = attn(query, key, value, need_weights=False)[0]
    assert torch.allclose(out, old, atol=1e-5)
    assert torch.allclose(none, old_none, atol=1e-5)


def test_fold_is_chosen_for_few_queries(monkeypatch):
    attn = make_attn().eval()
    calls = []
    sdpa = F.scaled_dot_product_attention

    def spy(q, k, v, **kwargs):
        calls.append(q.shape[-1])
        return sdpa(q, k, v, **kwargs)

    monkeypatch.setattr(F, 'scaled_dot_product_attention', spy)
    query, key, value, blocked = make_inputs(q=4)  # 4 * 4 heads <= 16
    many = make_inputs(q=5)  # 5 * 4 > 16
    with torch.no_grad():
        masked_cross_attention(attn, query, key, value, blocked[:, None])
        masked_cross_attention(attn, many[0], many[1], many[2],
                               many[3][:, None])
    # folded: queries live in the input space (C); else per head (C / H)
    assert calls == [C, C // H]


def test_gradients_equal_folded_and_plain():
    grads = []
    for fold in (False, True):
        attn = make_attn()
        query, key, value, blocked = make_inputs()
        query.requires_grad_(True)
        key.requires_grad_(True)
        value.requires_grad_(True)
        out = masked_cross_attention(attn, query, key, value,
                                     blocked[:, None], fold=fold)
        (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum() \
            .backward()
        grads.append([query.grad, key.grad, value.grad] +
                     [p.grad for p in attn.parameters()])
    for a, b in zip(*grads):
        assert torch.allclose(a, b, atol=1e-4), (a - b).abs().max()


def test_attention_dropout_is_the_same_in_both_paths():
    # the value bias of the folded path is weighted by the row sum of the
    # (dropped-out) attention, read from an all-ones value channel
    attn = make_attn(dropout=0.5).train()
    query, key, value, blocked = make_inputs()
    outs = []
    for fold in (False, True):
        torch.manual_seed(7)
        outs.append(masked_cross_attention(attn, query, key, value,
                                           blocked[:, None], fold=fold))
    with torch.no_grad():
        attn.eval()
        no_drop = masked_cross_attention(attn, query, key, value,
                                         blocked[:, None])
    assert not torch.allclose(outs[0], no_drop, atol=1e-3)
    assert torch.allclose(outs[0], outs[1], atol=1e-5)
