# Copyright (c) docseg_mm contributors. All rights reserved.
"""DiG converter on synthetic state dicts in the released layouts (spec 2.8),
checked against reference forwards of the original model written here."""
import argparse
import math
import os.path as osp
import pickle
import string

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope

from docseg_mm.models.converters.dig import (convert_dig_state_dict,
                                             load_dig_checkpoint)
from docseg_mm.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
PRE_CFG = osp.join(REPO, 'configs', 'dig',
                   'dig_vit-s-p4_8xb128-amp-coslr-10e_cc-ocr.py')
REC_CFG = osp.join(REPO, 'configs', 'dig',
                   'dig-recog_vit-s-p4_8xb256-10e_textocr-openimages.py')
CHARS = string.printable[:-6]  # DiG's 94 characters, EOS 94 .. BOS 97


def vit_keys(prefix, norm):
    keys = {prefix + 'mask_token': (1, 1, 384),
            prefix + 'patch_embed.proj.weight': (384, 3, 4, 4),
            prefix + 'patch_embed.proj.bias': (384, )}
    for i in range(12):
        b = f'{prefix}blocks.{i}.'
        keys.update({
            b + 'norm1.weight': (384, ), b + 'norm1.bias': (384, ),
            b + 'attn.q_bias': (384, ), b + 'attn.v_bias': (384, ),
            b + 'attn.qkv.weight': (1152, 384),
            b + 'attn.proj.weight': (384, 384), b + 'attn.proj.bias': (384, ),
            b + 'norm2.weight': (384, ), b + 'norm2.bias': (384, ),
            b + 'mlp.fc1.weight': (1536, 384), b + 'mlp.fc1.bias': (1536, ),
            b + 'mlp.fc2.weight': (384, 1536), b + 'mlp.fc2.bias': (384, )})
    if norm:
        keys.update({prefix + 'norm.weight': (384, ),
                     prefix + 'norm.bias': (384, )})
    return keys


def mlp_keys(prefix, dims):
    """MoCo v3 ``_build_mlp``: Linear(no bias) [BN ReLU] ..., last BN
    without affine."""
    keys = {}
    for layer in range(len(dims) - 1):
        lin, bn = 3 * layer, 3 * layer + 1
        keys[f'{prefix}{lin}.weight'] = (dims[layer + 1], dims[layer])
        if layer < len(dims) - 2:
            keys[f'{prefix}{bn}.weight'] = (dims[layer + 1], )
            keys[f'{prefix}{bn}.bias'] = (dims[layer + 1], )
        keys[f'{prefix}{bn}.running_mean'] = (dims[layer + 1], )
        keys[f'{prefix}{bn}.running_var'] = (dims[layer + 1], )
        keys[f'{prefix}{bn}.num_batches_tracked'] = ()
    return keys


def pretrain_layout():
    keys = {}
    keys.update(vit_keys('encoder.', False))
    keys.update(vit_keys('momentum_encoder.', False))
    for p in ('encoder_projection_layer.', 'momentum_projection_layer.'):
        keys.update(mlp_keys(p, (384, 4096, 4096, 256)))
    keys.update(mlp_keys('predictor.', (256, 4096, 256)))
    for p in ('pix_projector.', 'pix_projector_m.'):
        keys.update(mlp_keys(p, (384, 512, 512, 384)))
    keys.update({'pix_decoder.0.weight': (192, 384),
                 'pix_decoder.1.weight': (192, 192),
                 'pix_decoder.2.weight': (192, ),
                 'pix_decoder.2.bias': (192, ),
                 'pix_decoder.4.weight': (48, 192),
                 'pix_decoder.4.bias': (48, )})
    return keys


def finetune_layout():
    keys = vit_keys('encoder.', True)
    keys['patch_embed.proj.weight'] = (384, 3, 4, 4)
    keys['patch_embed.proj.bias'] = (384, )
    keys['decoder.trg_word_emb.weight'] = (98, 512)
    keys['decoder.position_enc.position_table'] = (1, 200, 512)
    for i in range(6):
        b = f'decoder.layer_stack.{i}.'
        for att in ('self_attn', 'enc_attn'):
            for lin in ('linear_q', 'linear_k', 'linear_v', 'fc'):
                keys[f'{b}{att}.{lin}.weight'] = (512, 512)
        for n in ('norm1', 'norm2', 'norm3'):
            keys[f'{b}{n}.weight'] = (512, )
            keys[f'{b}{n}.bias'] = (512, )
        keys.update({b + 'mlp.w_1.weight': (256, 512),
                     b + 'mlp.w_1.bias': (256, ),
                     b + 'mlp.w_2.weight': (512, 256),
                     b + 'mlp.w_2.bias': (512, )})
    keys.update({'decoder.layer_norm.weight': (512, ),
                 'decoder.layer_norm.bias': (512, ),
                 'decoder.classifier.weight': (97, 512),
                 'decoder.classifier.bias': (97, ),
                 'linear_norm.0.weight': (512, 384),
                 'linear_norm.0.bias': (512, ),
                 'linear_norm.1.weight': (512, ),
                 'linear_norm.1.bias': (512, )})
    return keys


def synthetic(layout, seed):
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for k, shape in layout.items():
        if k.endswith('num_batches_tracked'):
            sd[k] = torch.tensor(7)
        elif k.endswith('running_var') or (k.endswith('.weight')
                                           and len(shape) == 1):
            sd[k] = 1 + 0.1 * torch.rand(shape, generator=g)
        elif len(shape) == 2:
            sd[k] = torch.randn(shape, generator=g) / math.sqrt(shape[1])
        else:
            sd[k] = 0.1 * torch.randn(shape, generator=g)
    if 'patch_embed.proj.weight' in sd:
        for s in ('weight', 'bias'):
            sd[f'patch_embed.proj.{s}'] = sd[f'encoder.patch_embed.proj.{s}']
    if 'decoder.position_enc.position_table' in sd:
        pos = np.arange(200)[:, None] / np.power(
            10000, 2 * (np.arange(512) // 2) / 512)
        pos[:, 0::2], pos[:, 1::2] = np.sin(pos[:, 0::2]), np.cos(
            pos[:, 1::2])
        sd['decoder.position_enc.position_table'] = torch.tensor(
            pos, dtype=torch.float)[None]
    return sd


def ref_encoder(sd, x, p='encoder.', final_norm=True):
    """DiG's PretrainVisionTransformerEncoder forward (eval)."""
    t = F.conv2d(x, sd[p + 'patch_embed.proj.weight'],
                 sd[p + 'patch_embed.proj.bias'], stride=4)
    t = t.flatten(2).transpose(1, 2)
    b, n, c = t.shape
    table = np.arange(n)[:, None] / np.power(10000,
                                             2 * (np.arange(c) // 2) / c)
    table[:, 0::2], table[:, 1::2] = np.sin(table[:, 0::2]), np.cos(
        table[:, 1::2])
    t = t + torch.tensor(table, dtype=torch.float)
    for i in range(12):
        q = f'{p}blocks.{i}.'
        h = F.layer_norm(t, (c, ), sd[q + 'norm1.weight'],
                         sd[q + 'norm1.bias'], 1e-6)
        bias = torch.cat([sd[q + 'attn.q_bias'], torch.zeros(c),
                          sd[q + 'attn.v_bias']])
        qkv = F.linear(h, sd[q + 'attn.qkv.weight'], bias).reshape(
            b, n, 3, 6, 64).permute(2, 0, 3, 1, 4)
        att = ((qkv[0] * 64**-0.5) @ qkv[1].transpose(-2, -1)).softmax(-1)
        o = (att @ qkv[2]).transpose(1, 2).reshape(b, n, c)
        t = t + F.linear(o, sd[q + 'attn.proj.weight'],
                         sd[q + 'attn.proj.bias'])
        h = F.layer_norm(t, (c, ), sd[q + 'norm2.weight'],
                         sd[q + 'norm2.bias'], 1e-6)
        h = F.gelu(F.linear(h, sd[q + 'mlp.fc1.weight'],
                            sd[q + 'mlp.fc1.bias']))
        t = t + F.linear(h, sd[q + 'mlp.fc2.weight'], sd[q + 'mlp.fc2.bias'])
    if final_norm:
        t = F.layer_norm(t, (c, ), sd[p + 'norm.weight'], sd[p + 'norm.bias'],
                         1e-6)
    return t


def ref_mha(sd, p, q_in, kv_in, mask=None):
    b, lq, _ = q_in.shape
    lk = kv_in.shape[1]
    q = (q_in @ sd[p + 'linear_q.weight'].t()).view(b, lq, 8, 64)
    k = (kv_in @ sd[p + 'linear_k.weight'].t()).view(b, lk, 8, 64)
    v = (kv_in @ sd[p + 'linear_v.weight'].t()).view(b, lk, 8, 64)
    logits = torch.einsum('bqhd,bkhd->bhqk', q, k) * 64**-0.5
    if mask is not None:
        logits = logits.masked_fill(~mask[:, None], float('-inf'))
    o = torch.einsum('bhqk,bkhd->bqhd', logits.softmax(-1), v)
    return o.reshape(b, lq, 512) @ sd[p + 'fc.weight'].t()


def ref_memory(sd, x):
    """RecModel's encoder -> linear_norm."""
    mem = ref_encoder(sd, x)
    return F.layer_norm(F.linear(mem, sd['linear_norm.0.weight'],
                                 sd['linear_norm.0.bias']), (512, ),
                        sd['linear_norm.1.weight'], sd['linear_norm.1.bias'])


def ref_decoder_logits(sd, mem, dig_tokens, lens):
    """DiG's TFDecoder with teacher forcing (pad mask & causal mask)."""
    b, length = dig_tokens.shape
    y = sd['decoder.trg_word_emb.weight'][dig_tokens] + \
        sd['decoder.position_enc.position_table'][:, :length]
    pos = torch.arange(length)
    mask = (pos[None, None, :] < lens[:, None, None]) & (
        pos[None, :, None] >= pos[None, None, :])
    for i in range(6):
        p = f'decoder.layer_stack.{i}.'

        def ln(t, n):
            return F.layer_norm(t, (512, ), sd[f'{p}{n}.weight'],
                                sd[f'{p}{n}.bias'])

        h = ln(y, 'norm1')
        y = y + ref_mha(sd, p + 'self_attn.', h, h, mask)
        y = y + ref_mha(sd, p + 'enc_attn.', ln(y, 'norm2'), mem)
        h = F.gelu(F.linear(ln(y, 'norm3'), sd[p + 'mlp.w_1.weight'],
                            sd[p + 'mlp.w_1.bias']))
        y = y + F.linear(h, sd[p + 'mlp.w_2.weight'], sd[p + 'mlp.w_2.bias'])
    y = F.layer_norm(y, (512, ), sd['decoder.layer_norm.weight'],
                     sd['decoder.layer_norm.bias'], 1e-6)
    return F.linear(y, sd['decoder.classifier.weight'],
                    sd['decoder.classifier.bias'])


def build(cfg_file, **backbone):
    init_default_scope('docseg_mm')
    cfg = Config.fromfile(cfg_file)
    cfg.model.backbone.update({'init_cfg': None, **backbone})
    return MODELS.build(cfg.model)


def test_finetuned_recognizer_logits_match_reference():
    src = synthetic(finetune_layout(), 0)
    assert len(src) == 281
    state, kind, report = convert_dig_state_dict(src)
    assert kind == 'recognizer'
    assert len(report.mapped) == 279 and list(report.dropped) == [
        'patch_embed.proj.weight', 'patch_embed.proj.bias']
    model = build(REC_CFG)
    assert model.load_state_dict(state, strict=True)
    model.eval()
    torch.manual_seed(0)
    x = torch.randn(2, 3, 32, 128)
    # DiG teacher forcing: BOS=97, 'Ab' + EOS(94), 'z9!' + EOS, then PAD(95)
    words = ['Ab', 'z9!']
    dig_seq = [[CHARS.index(ch) for ch in w] + [94] for w in words]
    lens = torch.tensor([len(s) for s in dig_seq])
    dig_in = torch.tensor([[97] + s + [95] * (6 - len(s)) for s in dig_seq])
    with torch.no_grad():
        mem = ref_memory(src, x)
        ref = ref_decoder_logits(src, mem, dig_in, lens)
        d = model.decoder.dictionary
        to_ours = {97: d.start_idx, 94: d.end_idx, 95: d.padding_idx}
        ours_in = torch.tensor([[to_ours.get(t, t) if t >= 94 else
                                 d.char2idx(CHARS[t]) for t in row]
                                for row in dig_in.tolist()])
        logits = model.decoder(model.extract_feat(x), ours_in, lens)
    # our classes: chars, EOS, PAD, UKN -> DiG rows 0..96 (same order)
    torch.testing.assert_close(logits, ref, atol=1e-4, rtol=1e-4)
    # greedy decoding follows the reference's argmax
    with torch.no_grad():
        classes, _ = model.decoder.decode_greedy(model.extract_feat(x))
        tokens = torch.full((2, 1), 97)
        for step in range(classes.shape[1]):
            nxt = ref_decoder_logits(src, mem, tokens,
                                     torch.full((2, ), step + 1))[:, -1]
            nxt = nxt.argmax(-1)
            assert torch.equal(nxt, classes[:, step])
            tokens = torch.cat([tokens, nxt[:, None]], 1)


def test_rows_follow_a_reordered_dictionary(tmp_path):
    from docseg_mm.models.task_modules import Dictionary
    src = synthetic(finetune_layout(), 1)
    chars = CHARS[::-1]  # another order, no unknown token
    d = Dictionary(characters=chars, with_start=True, with_end=True,
                   with_padding=True)
    state, _, report = convert_dig_state_dict(src, d)
    emb, cls = state['decoder.trg_word_emb.weight'], state[
        'decoder.classifier.weight']
    assert emb.shape == (97, 512) and cls.shape == (96, 512)
    i = d.char2idx('a')
    assert torch.equal(emb[i], src['decoder.trg_word_emb.weight'][10])
    assert torch.equal(cls[i], src['decoder.classifier.weight'][10])
    src_emb, src_cls = src['decoder.trg_word_emb.weight'], src[
        'decoder.classifier.weight']
    assert torch.equal(emb[d.start_idx], src_emb[97])
    assert torch.equal(cls[d.end_idx - 1], src_cls[94])
    assert any('96' in n for n in report.notes)  # DiG's UNKNOWN row unused
    with pytest.raises(KeyError, match='not in DiG'):
        convert_dig_state_dict(src, Dictionary(characters='a\u00e9',
                                               with_start=True,
                                               with_end=True))


def test_pretrain_checkpoint_into_dig_algorithm(tmp_path):
    src = synthetic(pretrain_layout(), 2)
    assert len(src) == 398
    state, kind, report = convert_dig_state_dict(src)
    assert kind == 'pretrain' and len(report.mapped) == 398
    model = build(PRE_CFG)
    model.load_state_dict(state, strict=True)  # every key, both ways
    model.eval()
    x = torch.randn(1, 3, 32, 128)
    with torch.no_grad():
        torch.testing.assert_close(model.backbone(x)[0],
                                   ref_encoder(src, x, final_norm=False),
                                   atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(
            model.target_net.module[0](x)[0],
            ref_encoder(src, x, 'momentum_encoder.', final_norm=False),
            atol=1e-4, rtol=1e-4)
        tok = torch.randn(5, 384)
        h = F.linear(F.linear(tok, src['pix_decoder.0.weight']),
                     src['pix_decoder.1.weight'])
        h = F.gelu(F.layer_norm(h, (192, ), src['pix_decoder.2.weight'],
                                src['pix_decoder.2.bias'], 1e-6))
        ref = F.linear(h, src['pix_decoder.4.weight'],
                       src['pix_decoder.4.bias'])
        torch.testing.assert_close(model.pix_decoder(tok), ref)
    assert torch.equal(state['neck.bn2.running_var'],
                       src['encoder_projection_layer.7.running_var'])
    # the converted file initialises the recogniser's encoder
    path = str(tmp_path / 'pre.pth')
    torch.save(dict(state_dict=state), path)
    rec = build(REC_CFG, init_cfg=dict(type='Pretrained', checkpoint=path,
                                       prefix='backbone.'))
    rec.backbone.init_weights()
    assert torch.equal(rec.backbone.layers[3].attn.qkv.weight,
                       src['encoder.blocks.3.attn.qkv.weight'])


class Payload:
    """Stands for any pickled object besides the training arguments."""


def test_loader_allows_training_arguments_only(tmp_path):
    sd = {'w': torch.ones(2)}
    ok = str(tmp_path / 'ok.pth')
    torch.save(dict(model=sd, epoch=3, args=argparse.Namespace(lr=1e-4,
                                                               epochs=10)),
               ok)
    assert torch.equal(load_dig_checkpoint(ok)['w'], torch.ones(2))
    bad = str(tmp_path / 'bad.pth')
    torch.save(dict(model=sd, extra=Payload()), bad)
    with pytest.raises(pickle.UnpicklingError, match='besides tensors'):
        load_dig_checkpoint(bad)
