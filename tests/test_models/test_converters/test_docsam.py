# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of the DocSAM -> docseg_mm checkpoint converter.

The source state dicts are synthetic but have exactly the keys and shapes of
the released DocSAM checkpoints (see :mod:`.docsam_sources`).
"""
import re
from collections import OrderedDict
from typing import Dict, Optional

import pytest
import torch

from docseg_mm.models.converters import docsam as conv
from docseg_mm.models.converters import hf_swin
from .docsam_sources import (BASE_KEY_FILE, LARGE_KEY_FILE, SWIN_ARCH,
                            TINY_SWIN, build_docsam_base_state_dict,
                            build_docsam_state_dict, mmdet_swin, read_key_file,
                            tiny_docsam_state_dict, tiny_hf_swin)


@pytest.fixture(scope='module')
def base_sd() -> Dict[str, torch.Tensor]:
    return build_docsam_base_state_dict()


@pytest.fixture(scope='module')
def base_converted(base_sd):
    return conv.convert_docsam_state_dict(base_sd)


def _shapes(sd: Dict[str, torch.Tensor]) -> Dict[str, tuple]:
    return {k: tuple(v.shape) for k, v in sd.items()}


def _prefix_target(src: str) -> Optional[str]:
    """Expected target of a prefix-renamed source key (None: not one)."""
    rel = src[len(conv.SRC_PREFIX):]
    for old, new in conv.PREFIX_RENAMES.items():
        if rel.startswith(old):
            return new + rel[len(old):]
    return None


# ---------------------------------------------------------------------------
# Layout of the sources
# ---------------------------------------------------------------------------
@pytest.mark.parametrize('size', ['base', 'large'])
def test_key_dump_layout(size):
    shapes = read_key_file(BASE_KEY_FILE if size == 'base' else LARGE_KEY_FILE)
    assert len(shapes) == 1550
    assert all(k.startswith('mask2former.model.') for k in shapes)
    assert sum('.pixel_level_module.fpn.' in k for k in shapes) == 16


@pytest.mark.parametrize('size', ['base', 'large'])
def test_hf_swin_backbone_matches_docsam_encoder_keys(size):
    """DocSAM's ``pixel_level_module.encoder.*`` is exactly the state dict of
    an HF ``SwinBackbone`` with the DocSAM Swin configuration."""
    from transformers import SwinBackbone, SwinConfig
    from transformers.modeling_utils import no_init_weights
    arch = SWIN_ARCH[size]
    cfg = SwinConfig(
        embed_dim=arch['embed_dims'],
        depths=list(arch['depths']),
        num_heads=list(arch['num_heads']),
        window_size=arch['window_size'],
        out_features=['stage1', 'stage2', 'stage3', 'stage4'])
    with no_init_weights():
        hf = SwinBackbone(cfg)
    shapes = read_key_file(BASE_KEY_FILE if size == 'base' else LARGE_KEY_FILE)
    prefix = conv.SRC_PREFIX + conv.SWIN_SRC
    encoder = {
        k[len(prefix):]: v
        for k, v in shapes.items() if k.startswith(prefix)
    }
    assert encoder == _shapes(hf.state_dict())
    assert len(encoder) == 453


def test_tiny_hf_swin_key_pattern_matches_dump():
    """The tiny HF Swin used for the numerical test has the key pattern of
    the DocSAM dump (indices replaced by ``#``)."""

    def pattern(keys):
        return {re.sub(r'\d+', '#', k) for k in keys}

    prefix = conv.SRC_PREFIX + conv.SWIN_SRC
    dump = [
        k[len(prefix):] for k in read_key_file(BASE_KEY_FILE)
        if k.startswith(prefix)
    ]
    assert pattern(tiny_hf_swin().state_dict()) == pattern(dump)


# ---------------------------------------------------------------------------
# Whole DocSAM state dicts
# ---------------------------------------------------------------------------
def test_base_every_key_accounted_for(base_sd, base_converted):
    converted, unused, mapping = base_converted
    mapped = [s for s, _ in mapping]
    assert len(mapped) == len(set(mapped))
    assert not set(mapped) & set(unused)
    assert set(mapped) | set(unused) == set(base_sd)
    assert len(mapped) + len(unused) == 1550
    fpn = [k for k in base_sd if '.pixel_level_module.fpn.' in k]
    assert list(unused) == fpn and len(fpn) == 16
    for k in fpn:
        assert torch.equal(unused[k], base_sd[k])
    assert {d for _, d in mapping} == set(converted)
    assert len(converted) == 1550 - 16 - 24 * 4  # 24 blocks: 6 q/k/v -> 2
    assert conv.detect_model_size(base_sd) == 'base'


def test_base_values_preserved(base_sd, base_converted):
    converted, _, mapping = base_converted
    n_prefix = 0
    for src, dst in mapping:
        expected = _prefix_target(src)
        if expected is None:
            assert dst.startswith('backbone.'), src
            continue
        assert dst == expected
        assert torch.equal(converted[dst], base_sd[src]), src
        n_prefix += 1
    assert n_prefix == 1550 - 16 - 453
    # spot checks of the prefix renames
    p = conv.SRC_PREFIX
    for src, dst in [
        ('pixel_level_module.decoder.level_embed', 'neck.level_embed'),
        ('pixel_level_module.feat_merge.fusion.0.weight',
         'neck.feat_merge.fusion.0.weight'),
        ('transformer_module.textual_encoder.embeddings.word_embeddings.'
         'weight', 'head.text_encoder.bert.embeddings.word_embeddings.weight'),
        ('transformer_module.decoder.decoder_layers.0.'
         'query_fusion_encoder_1.self_attn.in_proj_weight',
         'head.decoder.decoder_layers.0.query_fusion_encoder_1.self_attn.'
         'in_proj_weight'),
        ('transformer_module.proposal_bboxes.weight',
         'head.proposal_bboxes.weight'),
    ]:
        assert (p + src, dst) in mapping


def test_base_swin_qkv_and_merges(base_sd, base_converted):
    converted, _, _ = base_converted
    src = conv.SRC_PREFIX + conv.SWIN_SRC + 'encoder.layers.2.blocks.5.'
    dst = 'backbone.stages.2.blocks.5.attn.w_msa.qkv.'
    for t in ('weight', 'bias'):
        qkv = converted[dst + t]
        q, k, v = qkv.chunk(3, dim=0)
        assert torch.equal(q, base_sd[src + 'attention.self.query.' + t])
        assert torch.equal(k, base_sd[src + 'attention.self.key.' + t])
        assert torch.equal(v, base_sd[src + 'attention.self.value.' + t])
    assert converted[dst + 'weight'].shape == (1536, 512)
    red = base_sd[conv.SRC_PREFIX + conv.SWIN_SRC +
                  'encoder.layers.1.downsample.reduction.weight']
    perm = hf_swin.unfold_channel_permutation(red.shape[1])
    assert torch.equal(
        converted['backbone.stages.1.downsample.reduction.weight'], red[:,
                                                                        perm])
    assert torch.equal(
        converted['backbone.norm2.weight'],
        base_sd[conv.SRC_PREFIX + conv.SWIN_SRC +
                'hidden_states_norms.stage3.weight'])


@pytest.mark.parametrize('size', ['base', 'large'])
def test_backbone_layout_matches_mmdet_swin(size, base_converted):
    """``backbone.*`` has exactly the keys and shapes of the mmdet Swin
    (base: real values; large: meta tensors)."""
    if size == 'base':
        converted = base_converted[0]
    else:
        sd = build_docsam_state_dict(LARGE_KEY_FILE, device='meta')
        converted, unused, mapping = conv.convert_docsam_state_dict(sd)
        assert set(s for s, _ in mapping) | set(unused) == set(sd)
        assert len(mapping) + len(unused) == 1550
        assert list(unused) == [k for k in sd if '.fpn.' in k]
        assert len(unused) == 16
        assert conv.detect_model_size(sd) == 'large'
        for src, dst in mapping:
            if _prefix_target(src) is not None:
                assert dst == _prefix_target(src)
                assert converted[dst].shape == sd[src].shape
    mm = mmdet_swin(pretrain_img_size=384, **SWIN_ARCH[size])
    backbone = {
        k[len('backbone.'):]: v
        for k, v in converted.items() if k.startswith('backbone.')
    }
    assert _shapes(backbone) == _shapes(mm.state_dict())
    if size == 'base':
        mm.load_state_dict(backbone, strict=True)
        for k, v in mm.named_buffers():
            if k.endswith('relative_position_index'):
                assert torch.equal(v, backbone[k])


def test_infer_arch_and_summary(base_sd, base_converted):
    converted, unused, mapping = base_converted
    summary = conv.summarize(base_sd, converted, unused, mapping)
    assert 'model size        : base' in summary
    assert 'source tensors    : 1550' in summary
    assert 'docsam_unused     : 16 tensors' in summary
    assert "equal to mmdet WindowMSA's index" in summary
    for k in unused:
        assert k in summary
    assert re.search(
        r'pixel_level_module\.encoder\.\*\s+453\s+0\s+'
        r'backbone\.\*\s+357', summary)


def test_no_text_encoder(base_sd):
    converted, unused, mapping = conv.convert_docsam_state_dict(
        base_sd, drop_text_encoder=True)
    text = [k for k in base_sd if '.textual_encoder.' in k]
    assert len(text) == 103
    assert set(unused) == set(text) | {k for k in base_sd if '.fpn.' in k}
    assert not any(k.startswith('head.text_encoder.') for k in converted)
    assert 'head.semantic_query_projection.weight' in converted
    assert set(s for s, _ in mapping) | set(unused) == set(base_sd)


def test_errors():
    sd = tiny_docsam_state_dict()
    bad = OrderedDict(sd)
    bad[conv.SRC_PREFIX + 'transformer_module.extra.weight'] = torch.zeros(1)
    with pytest.raises(KeyError, match='unknown key'):
        conv.convert_docsam_state_dict(bad)
    bad = OrderedDict(sd)
    bad['foo.weight'] = torch.zeros(1)
    with pytest.raises(KeyError, match='do not start with'):
        conv.convert_docsam_state_dict(bad)
    bad = OrderedDict((k, v) for k, v in sd.items() if '.fpn.' not in k)
    with pytest.raises(KeyError, match='groups missing'):
        conv.convert_docsam_state_dict(bad)
    # DDP prefix and the legacy BERT position_ids buffer are understood
    ddp = OrderedDict(('module.' + k, v) for k, v in sd.items())
    pos = conv.SRC_PREFIX + conv.TEXT_SRC + 'embeddings.position_ids'
    ddp['module.' + pos] = torch.arange(512)[None]
    converted, unused, mapping = conv.convert_docsam_state_dict(ddp)
    assert pos in unused
    assert conv.unused_reason(pos) == conv.REASON_POSITION_IDS
    assert conv.detect_model_size(sd) == 'unknown'


@pytest.mark.parametrize('wrapper', [None, 'state_dict', 'model'])
def test_convert_file_round_trip(tmp_path, wrapper):
    sd = tiny_docsam_state_dict()
    src, dst = tmp_path / 'docsam.pth', tmp_path / 'docseg.pth'
    torch.save(sd if wrapper is None else {wrapper: sd}, src)
    printed = conv.convert_file(
        str(src), str(dst), drop_text_encoder=wrapper == 'model')
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert set(ckpt) == {'meta', 'state_dict', 'docsam_unused'}
    meta = ckpt['meta']
    assert meta['converted_from'] == 'docsam.pth'
    assert meta['model_size'] == 'unknown'
    assert meta['swin_arch'] == {
        k: list(v) if isinstance(v, tuple) else v
        for k, v in TINY_SWIN.items()
    }
    assert meta['num_source_tensors'] == len(sd)
    n_text = 2 if wrapper == 'model' else 0
    assert meta['text_encoder'] == ('dropped' if n_text else 'kept')
    assert len(ckpt['docsam_unused']) == 2 + n_text
    assert set(meta['unused']) == set(ckpt['docsam_unused'])
    for k, v in ckpt['docsam_unused'].items():
        assert torch.equal(v, sd[k])
    assert f'source tensors    : {len(sd)}' in printed
    assert 'pixel_level_module.fpn.inner_blocks.0.0.weight' in printed
    # the converted Swin loads into mmdet
    mm = mmdet_swin(pretrain_img_size=64, **TINY_SWIN)
    mm.load_state_dict(
        {
            k[9:]: v
            for k, v in ckpt['state_dict'].items() if k.startswith('backbone.')
        },
        strict=True)
    assert ckpt['state_dict']['head.proposal_bboxes.weight'].shape == (5, 4)
