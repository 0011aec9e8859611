# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of the HF Swin -> mmdet Swin weight conversion.

The rename is checked numerically: a tiny HF ``SwinBackbone`` and the mmdet
``SwinTransformer`` loaded with its converted weights give the same feature
maps.
"""
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn

from docseg_mm.models.converters import hf_swin as conv
from .docsam_sources import (TINY_SWIN, hf_relative_position_index,
                             mmdet_swin, tiny_hf_swin)


@pytest.mark.parametrize('window', [4, 7, 12])
def test_relative_position_index_hf_equals_mmdet(window):
    from mmdet.models.backbones.swin import WindowMSA
    mm = WindowMSA(8, 1, (window, window)).relative_position_index
    assert 'relative_position_index' in dict(
        WindowMSA(8, 1, (window, window)).named_buffers())
    hf = hf_relative_position_index(window)
    ours = conv.swin_relative_position_index(window)
    assert hf.dtype == mm.dtype == ours.dtype == torch.int64
    assert torch.equal(hf, mm)
    assert torch.equal(ours, mm)


def test_unfold_permutation_matches_patch_merging():
    """HF's ``[x0, x1, x2, x3]`` merge reordered by the permutation is the
    ``nn.Unfold`` merge of mmdet's ``PatchMerging``."""
    from mmdet.models.layers import PatchMerging
    torch.manual_seed(0)
    b, h, w, c = 2, 6, 8, 5
    x = torch.randn(b, h, w, c)
    hf = torch.cat([
        x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]
    ],
                   dim=-1).reshape(b, -1, 4 * c)
    unfold = nn.Unfold(kernel_size=2, stride=2)(x.permute(0, 3, 1, 2))
    unfold = unfold.transpose(1, 2)
    perm = conv.unfold_channel_permutation(4 * c)
    assert sorted(perm.tolist()) == list(range(4 * c))
    assert torch.equal(hf[..., perm], unfold)
    # the same with mmdet's PatchMerging and converted HF weights
    merge = PatchMerging(c, 2 * c, norm_cfg=dict(type='LN')).eval()
    red = torch.randn(2 * c, 4 * c)
    nw, nb = torch.randn(4 * c), torch.randn(4 * c)
    hf_out = nn.functional.linear(
        nn.functional.layer_norm(hf, (4 * c, ), nw, nb), red)
    for name, value in [('reduction.weight', red), ('norm.weight', nw),
                        ('norm.bias', nb)]:
        _, new = conv.convert_swin_key(f'encoder.layers.0.downsample.{name}',
                                       value)
        merge.state_dict()[name].copy_(new)
    mm_out, out_hw = merge(x.reshape(b, h * w, c), (h, w))
    assert out_hw == (h // 2, w // 2)
    torch.testing.assert_close(mm_out, hf_out, atol=1e-5, rtol=1e-5)


def test_unfold_permutation_matches_mmdet_swin_converter():
    """Same reorder as mmdet's converter for original Swin checkpoints."""
    from mmdet.models.backbones.swin import swin_converter
    red, norm = torch.randn(16, 32), torch.randn(32)
    ref = swin_converter(
        OrderedDict([('layers.0.downsample.reduction.weight', red),
                     ('layers.0.downsample.norm.weight', norm)]))
    _, ours_red = conv.convert_swin_key(
        'encoder.layers.0.downsample.reduction.weight', red)
    _, ours_norm = conv.convert_swin_key(
        'encoder.layers.0.downsample.norm.weight', norm)
    assert torch.equal(ours_red,
                       ref['backbone.stages.0.downsample.reduction.weight'])
    assert torch.equal(ours_norm,
                       ref['backbone.stages.0.downsample.norm.weight'])


def test_swin_key_renames():
    cases = {
        'embeddings.patch_embeddings.projection.weight':
        'patch_embed.projection.weight',
        'embeddings.norm.bias':
        'patch_embed.norm.bias',
        'encoder.layers.2.blocks.17.layernorm_before.weight':
        'stages.2.blocks.17.norm1.weight',
        'encoder.layers.2.blocks.17.layernorm_after.bias':
        'stages.2.blocks.17.norm2.bias',
        'encoder.layers.0.blocks.1.attention.self.key.weight':
        'stages.0.blocks.1.attn.w_msa.qkv.weight',
        'encoder.layers.0.blocks.1.attention.self.'
        'relative_position_bias_table':
        'stages.0.blocks.1.attn.w_msa.relative_position_bias_table',
        'encoder.layers.0.blocks.1.attention.self.relative_position_index':
        'stages.0.blocks.1.attn.w_msa.relative_position_index',
        'encoder.layers.3.blocks.0.attention.output.dense.bias':
        'stages.3.blocks.0.attn.w_msa.proj.bias',
        'encoder.layers.3.blocks.0.intermediate.dense.weight':
        'stages.3.blocks.0.ffn.layers.0.0.weight',
        'encoder.layers.3.blocks.0.output.dense.weight':
        'stages.3.blocks.0.ffn.layers.1.weight',
        'encoder.layers.1.downsample.norm.bias':
        'stages.1.downsample.norm.bias',
        'hidden_states_norms.stage1.weight':
        'norm0.weight',
        'hidden_states_norms.stage4.bias':
        'norm3.bias',
    }
    for src, dst in cases.items():
        assert conv.rename_swin_key(src) == dst
    for bad in ('embeddings.position_embeddings', 'hidden_states_norms.'
                'stage0.weight', 'encoder.layers.0.blocks.0.foo.weight'):
        with pytest.raises(KeyError):
            conv.rename_swin_key(bad)
    with pytest.raises(ValueError, match='fused qkv'):
        conv.convert_swin_key(
            'encoder.layers.0.blocks.0.attention.self.query.weight',
            torch.zeros(4, 4))


@pytest.mark.parametrize('hw', [(64, 64), (64, 96), (70, 100)])
def test_swin_numerically_equivalent(hw):
    """Converted tiny HF Swin == mmdet SwinTransformer, feature map by
    feature map; (64, 96) pads windows, (70, 100) also pads the patch
    embedding and odd patch merges."""
    hf = tiny_hf_swin()
    new_sd, unused, mapping = conv.convert_swin_state_dict(hf.state_dict())
    assert not unused
    assert {s for s, _ in mapping} == set(hf.state_dict())
    mm = mmdet_swin(pretrain_img_size=64, **TINY_SWIN)
    mm.load_state_dict(new_sd, strict=True)
    assert conv.infer_swin_arch(hf.state_dict()) == TINY_SWIN
    x = torch.randn(2, 3, *hw, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = hf(x).feature_maps
        out = mm(x)
    assert len(ref) == len(out) == 4
    for i, (a, b) in enumerate(zip(ref, out)):
        assert a.shape == b.shape, i
        torch.testing.assert_close(b, a, atol=1e-4, rtol=1e-4)


def test_swin_incomplete_qkv_and_bad_index():
    sd = tiny_hf_swin().state_dict()
    broken = OrderedDict(sd)
    broken.pop('encoder.layers.1.blocks.0.attention.self.value.bias')
    with pytest.raises(KeyError, match='incomplete q/k/v'):
        conv.convert_swin_state_dict(broken)
    changed = OrderedDict(sd)
    key = 'encoder.layers.1.blocks.0.attention.self.relative_position_index'
    changed[key] = sd[key].flip(0)
    new_sd, unused, mapping = conv.convert_swin_state_dict(changed)
    assert list(unused) == [key]
    assert 'stages.1.blocks.0.attn.w_msa.relative_position_index' not in \
        new_sd
    _, unused, _ = conv.convert_swin_state_dict(changed, check_buffers=False)
    assert not unused
