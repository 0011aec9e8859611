# Copyright (c) docseg_mm contributors. All rights reserved.
"""The AlignSeg converter on random state dicts in the exact source layouts
(DINO ViT-S/16, Leopart ``model.``-prefixed, released AlignSeg 169 / 205
keys), checked against reference forwards written here from the original
code's formulas (DINO ``vision_transformer.py``, AlignSeg
``align_model.py``)."""
import argparse
import math
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F

from docseg_mm.models.converters.alignseg import (convert_file,
                                                  convert_state_dict,
                                                  detect_layout, load_source)
from docseg_mm.registry import MODELS
from docseg_mm.utils import register_all_modules

DIM, DEPTH, HEADS, PATCH = 384, 12, 6, 16


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    num = torch.get_num_threads()
    torch.set_num_threads(1)
    register_all_modules()
    yield
    torch.set_num_threads(num)


def dino_vits16_state_dict(seed: int = 0) -> 'OrderedDict':
    """Random tensors named and shaped as ``dino_deitsmall16_pretrain.pth``
    (``vit_small(patch_size=16)``, qkv_bias, 197 position entries)."""
    g = torch.Generator().manual_seed(seed)

    def r(*shape, scale=0.02):
        return torch.randn(*shape, generator=g) * scale

    sd = OrderedDict(cls_token=r(1, 1, DIM, scale=1.),
                     pos_embed=r(1, 197, DIM, scale=1.))
    sd['patch_embed.proj.weight'] = r(DIM, 3, PATCH, PATCH, scale=0.05)
    sd['patch_embed.proj.bias'] = r(DIM)
    for i in range(DEPTH):
        p = f'blocks.{i}.'
        sd[p + 'norm1.weight'] = 1 + r(DIM, scale=0.1)
        sd[p + 'norm1.bias'] = r(DIM, scale=0.1)
        sd[p + 'attn.qkv.weight'] = r(3 * DIM, DIM, scale=0.1)
        sd[p + 'attn.qkv.bias'] = r(3 * DIM)
        sd[p + 'attn.proj.weight'] = r(DIM, DIM, scale=0.05)
        sd[p + 'attn.proj.bias'] = r(DIM)
        sd[p + 'norm2.weight'] = 1 + r(DIM, scale=0.1)
        sd[p + 'norm2.bias'] = r(DIM, scale=0.1)
        sd[p + 'mlp.fc1.weight'] = r(4 * DIM, DIM, scale=0.05)
        sd[p + 'mlp.fc1.bias'] = r(4 * DIM)
        sd[p + 'mlp.fc2.weight'] = r(DIM, 4 * DIM, scale=0.05)
        sd[p + 'mlp.fc2.bias'] = r(DIM)
    sd['norm.weight'] = 1 + r(DIM, scale=0.1)
    sd['norm.bias'] = r(DIM, scale=0.1)
    return sd


def reference_dino_forward(sd, x):
    """DINO ``VisionTransformer.forward_backbone(last_self_attention=True)``
    with functional ops: final-norm patch tokens and ``attn[:, :, 0, 1:]``.
    """
    b, _, h_in, w_in = x.shape
    ln = lambda t, p: F.layer_norm(t, (DIM, ), sd[p + '.weight'],  # noqa
                                   sd[p + '.bias'], eps=1e-6)
    t = F.conv2d(x, sd['patch_embed.proj.weight'], sd['patch_embed.proj.bias'],
                 stride=PATCH).flatten(2).transpose(1, 2)
    t = torch.cat((sd['cls_token'].expand(b, -1, -1), t), dim=1)
    pos = sd['pos_embed']
    n_src = pos.shape[1] - 1
    if t.shape[1] - 1 != n_src or h_in != w_in:  # interpolate_pos_encoding
        side = int(math.sqrt(n_src))
        h0, w0 = h_in // PATCH + 0.1, w_in // PATCH + 0.1
        grid = F.interpolate(
            pos[:, 1:].reshape(1, side, side, DIM).permute(0, 3, 1, 2),
            scale_factor=(h0 / side, w0 / side), mode='bicubic')
        pos = torch.cat((pos[:, :1], grid.permute(0, 2, 3, 1).reshape(
            1, -1, DIM)), dim=1)
    t = t + pos
    for i in range(DEPTH):
        p = f'blocks.{i}.'
        y = ln(t, p + 'norm1')
        qkv = F.linear(y, sd[p + 'attn.qkv.weight'], sd[p + 'attn.qkv.bias'])
        qkv = qkv.reshape(b, -1, 3, HEADS, DIM // HEADS).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * (DIM // HEADS)**-0.5).softmax(-1)
        y = (attn @ v).transpose(1, 2).reshape(b, -1, DIM)
        t = t + F.linear(y, sd[p + 'attn.proj.weight'],
                         sd[p + 'attn.proj.bias'])
        y = F.gelu(F.linear(ln(t, p + 'norm2'), sd[p + 'mlp.fc1.weight'],
                            sd[p + 'mlp.fc1.bias']))
        t = t + F.linear(y, sd[p + 'mlp.fc2.weight'], sd[p + 'mlp.fc2.bias'])
    t = ln(t, 'norm')
    return t[:, 1:], attn[:, :, 0, 1:]


def build_backbone():
    return MODELS.build(dict(type='CLSAttentionViT', arch='deit-small',
                             img_size=224, norm_cfg=dict(type='LN',
                                                         eps=1e-6)))


def load_backbone(converted):
    vit = build_backbone()
    sd = {k[len('backbone.'):]: v for k, v in converted.items()
          if k.startswith('backbone.')}
    vit.load_state_dict(sd, strict=True)
    return vit


@pytest.mark.parametrize('size', [(224, 224), (288, 160)])
def test_dino_layout_matches_reference_forward(size):
    sd = dino_vits16_state_dict()
    assert detect_layout(sd) == 'dino'
    converted, report = convert_state_dict(sd)
    assert len(report.mapped) == len(sd) == 150 and not report.dropped
    vit = load_backbone(converted)
    x = torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        feats, attn = vit(x)
        ref_tokens, ref_attn = reference_dino_forward(sd, x)
    h, w = size[0] // PATCH, size[1] // PATCH
    assert feats.shape == (1, DIM, h, w)
    torch.testing.assert_close(
        feats.flatten(2).transpose(1, 2), ref_tokens, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(attn, ref_attn, rtol=1e-4, atol=1e-5)


def test_leopart_layout_drops_heads_and_teacher():
    vit = dino_vits16_state_dict(seed=3)
    sd = OrderedDict(('model.' + k, v) for k, v in vit.items())
    sd['model.projection_head.0.weight'] = torch.zeros(2048, DIM)
    sd['model.projection_head.0.bias'] = torch.zeros(2048)
    sd['model.projection_head.2.weight'] = torch.zeros(256, 2048)
    sd['model.projection_head.2.bias'] = torch.zeros(256)
    sd['model.prototypes.weight'] = torch.zeros(300, 256)
    sd['teacher.cls_token'] = torch.ones(1, 1, DIM)
    assert detect_layout(sd) == 'leopart'
    converted, report = convert_state_dict(sd)
    assert len(report.mapped) == 150
    assert set(report.dropped) == {
        'model.projection_head.0.weight', 'model.projection_head.0.bias',
        'model.projection_head.2.weight', 'model.projection_head.2.bias',
        'model.prototypes.weight', 'teacher.cls_token'
    }
    # Same tensors as the plain DINO layout.
    ref, _ = convert_state_dict(vit)
    assert list(converted) == list(ref)
    assert all(torch.equal(converted[k], ref[k]) for k in ref)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        feats, _ = load_backbone(converted)(x)
    torch.testing.assert_close(feats.flatten(2).transpose(1, 2),
                               reference_dino_forward(vit, x)[0],
                               rtol=1e-4, atol=1e-4)


def alignseg_state_dict(num_layers: int, hidden: int, seed: int = 5):
    """A released AlignSeg ``state_dict`` (``align_model.py`` names)."""
    g = torch.Generator().manual_seed(seed)
    sd = OrderedDict(('backbone.' + k, v)
                     for k, v in dino_vits16_state_dict(seed).items())
    sd['clsQueries.weight'] = torch.randn(5, DIM, generator=g)

    def r(*shape, scale=0.05):
        return torch.randn(*shape, generator=g) * scale

    for j in range(num_layers):
        for group, attn in (
                ('decoder_cross_attention_layers', 'multihead_attn'),
                ('decoder_self_attention_layers', 'self_attn')):
            p = f'{group}.{j}.'
            sd[p + attn + '.in_proj_weight'] = r(3 * DIM, DIM)
            sd[p + attn + '.in_proj_bias'] = r(3 * DIM)
            sd[p + attn + '.out_proj.weight'] = r(DIM, DIM)
            sd[p + attn + '.out_proj.bias'] = r(DIM)
            sd[p + 'norm.weight'] = 1 + r(DIM)
            sd[p + 'norm.bias'] = r(DIM)
        p = f'decoder_ffn_layers.{j}.'
        sd[p + 'linear1.weight'] = r(hidden, DIM)
        sd[p + 'linear1.bias'] = r(hidden)
        sd[p + 'linear2.weight'] = r(DIM, hidden)
        sd[p + 'linear2.bias'] = r(DIM)
        sd[p + 'norm.weight'] = 1 + r(DIM)
        sd[p + 'norm.bias'] = r(DIM)
    return sd


def reference_mha(q, kv, sd, p, heads=3):
    """``nn.MultiheadAttention(batch_first=True)`` written out."""
    w, bias = sd[p + 'in_proj_weight'], sd[p + 'in_proj_bias']
    qq = F.linear(q, w[:DIM], bias[:DIM])
    kk = F.linear(kv, w[DIM:2 * DIM], bias[DIM:2 * DIM])
    vv = F.linear(kv, w[2 * DIM:], bias[2 * DIM:])
    split = lambda t: t.reshape(t.shape[0], t.shape[1], heads,  # noqa
                                -1).transpose(1, 2)
    qq, kk, vv = split(qq), split(kk), split(vv)
    a = (qq @ kk.transpose(-2, -1) / math.sqrt(DIM // heads)).softmax(-1)
    out = (a @ vv).transpose(1, 2).reshape(q.shape[0], q.shape[1], DIM)
    return F.linear(out, sd[p + 'out_proj.weight'], sd[p + 'out_proj.bias'])


def reference_alignseg_assignment(sd, x, num_layers):
    """``AlignSegmentor.forward`` + ``sup_overcluster.py``: cosine between
    tokens and queries decoded *the original way* (every layer gets the
    initial queries)."""
    tokens, _ = reference_dino_forward(
        {k[len('backbone.'):]: v for k, v in sd.items()
         if k.startswith('backbone.')}, x)
    ln = lambda t, p: F.layer_norm(t, (DIM, ), sd[p + 'norm.weight'],  # noqa
                                   sd[p + 'norm.bias'])
    init = sd['clsQueries.weight'][None].expand(x.shape[0], -1, -1)
    for j in range(num_layers):
        c = f'decoder_cross_attention_layers.{j}.'
        s = f'decoder_self_attention_layers.{j}.'
        f = f'decoder_ffn_layers.{j}.'
        q = ln(init + reference_mha(init, tokens, sd, c + 'multihead_attn.'),
               c)
        q = ln(q + reference_mha(q, q, sd, s + 'self_attn.'), s)
        y = F.linear(F.relu(F.linear(q, sd[f + 'linear1.weight'],
                                     sd[f + 'linear1.bias'])),
                     sd[f + 'linear2.weight'], sd[f + 'linear2.bias'])
        q = ln(q + y, f)
    return torch.einsum('bnc,bqc->bnq', F.normalize(tokens, dim=-1),
                        F.normalize(q, dim=-1))


@pytest.mark.parametrize('num_layers,hidden,num_keys', [(1, 384, 169),
                                                         (3, 768, 205)])
def test_released_alignseg_checkpoint(tmp_path, num_layers, hidden,
                                      num_keys):
    sd = alignseg_state_dict(num_layers, hidden)
    assert len(sd) == num_keys
    src = tmp_path / 'epoch10.pth'
    torch.save({'epoch': 10, 'net': 'vit_small', 'state_dict': sd,
                'optimizer': {'state': {}, 'param_groups': []}}, src)
    dst = tmp_path / 'converted.pth'
    report = convert_file(str(src), str(dst))
    assert report.layout == 'alignseg'
    assert len(report.mapped) == num_keys
    assert set(report.dropped) == {'top:epoch', 'top:net', 'top:optimizer'}
    state = load_source(str(dst))['state_dict']
    # The released COCO model was trained with the original decoding: only
    # the last layer, fed the initial queries, counts (faithful=True).
    model = MODELS.build(dict(
        type='AlignSeg',
        backbone=dict(type='CLSAttentionViT', arch='deit-small',
                      norm_cfg=dict(type='LN', eps=1e-6)),
        decode_head=dict(type='AlignSegHead', num_layers=num_layers,
                         num_heads=3, feedforward_channels=hidden,
                         faithful=True)))
    missing = model.load_state_dict(state, strict=True)
    assert not missing.missing_keys and not missing.unexpected_keys
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        cos = model._forward(x)  # (B, K, h, w)
        ref = reference_alignseg_assignment(sd, x, num_layers)
    torch.testing.assert_close(cos.flatten(2).transpose(1, 2), ref,
                               rtol=1e-4, atol=1e-4)


def test_unknown_key_is_an_error():
    sd = dino_vits16_state_dict()
    sd['blocks.0.attn.rel_pos'] = torch.zeros(3)
    with pytest.raises(KeyError, match='blocks.0.attn.rel_pos'):
        convert_state_dict(sd)


def test_unsafe_file_is_refused_with_its_content(tmp_path):
    path = tmp_path / 'pickled.ckpt'
    torch.save({'state_dict': {}, 'hparams': argparse.Namespace(a=1)}, path)
    with pytest.raises(ValueError) as err:
        load_source(str(path))
    msg = str(err.value)
    assert 'Namespace' in msg and 'weights_only=False' not in msg
