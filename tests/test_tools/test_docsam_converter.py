# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of the DocSAM -> docseg_mm checkpoint converter.

The source state dicts are synthetic but have exactly the keys and shapes of
the released DocSAM checkpoints, read from the key dumps in
``tests/data/checkpoint_keys/`` (copied from the reference dumps). The Swin
rename is checked numerically: a tiny HF ``SwinBackbone`` and the mmdet
``SwinTransformer`` loaded with its converted weights give the same feature
maps.

:func:`build_docsam_base_state_dict` is meant to be reused by the end-to-end
test of the converted docseg_mm DocSAM model.
"""
import ast
import importlib.util
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Optional, Tuple
from unittest import mock

import pytest
import torch
import torch.nn as nn

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
KEY_DIR = osp.join(REPO, 'tests', 'data', 'checkpoint_keys')
BASE_KEY_FILE = osp.join(KEY_DIR, 'docsam_base_state_dict_keys.txt')
LARGE_KEY_FILE = osp.join(KEY_DIR, 'docsam_large_state_dict_keys.txt')
CONVERTER = osp.join(REPO, 'tools', 'model_converters', 'docsam_to_docseg.py')

Shapes = Dict[str, Tuple[int, ...]]

SWIN_ARCH = {
    'base':
    dict(
        embed_dims=128,
        depths=(2, 2, 18, 2),
        num_heads=(4, 8, 16, 32),
        window_size=12),
    'large':
    dict(
        embed_dims=192,
        depths=(2, 2, 18, 2),
        num_heads=(6, 12, 24, 48),
        window_size=12),
}
TINY_SWIN = dict(
    embed_dims=32, depths=(2, 2, 2, 2), num_heads=(1, 2, 4, 8), window_size=4)


def _load_converter():
    spec = importlib.util.spec_from_file_location('_test_docsam_to_docseg',
                                                  CONVERTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


conv = _load_converter()


# ---------------------------------------------------------------------------
# Source state dicts (reusable)
# ---------------------------------------------------------------------------
def read_key_file(path: str) -> Shapes:
    """Read ``name<TAB>(shape)`` lines of a key dump."""
    if not osp.isfile(path):
        pytest.fail(f'DocSAM key dump {path} not found')
    shapes: Shapes = OrderedDict()
    with open(path) as f:
        for line in f:
            if line.strip():
                name, shape = line.rstrip('\n').split('\t')
                shapes[name] = tuple(ast.literal_eval(shape))
    return shapes


def hf_relative_position_index(window_size: int) -> torch.Tensor:
    """The ``relative_position_index`` buffer of HF's Swin attention."""
    from transformers import SwinConfig
    from transformers.models.swin.modeling_swin import SwinSelfAttention
    attn = SwinSelfAttention(SwinConfig(), 1, 1, window_size)
    return attn.relative_position_index.clone()


def build_docsam_state_dict(key_file: str,
                            seed: int = 0,
                            device: str = 'cpu') -> Dict[str, torch.Tensor]:
    """A DocSAM state dict with the keys and shapes of a key dump.

    Args:
        key_file (str): ``docsam_{base,large}_state_dict_keys.txt``.
        seed (int): Seed of the random float tensors. Defaults to 0.
        device (str): ``'cpu'`` (random values; ``relative_position_index``
            holds HF's real index) or ``'meta'`` (no data). Defaults to
            ``'cpu'``.

    Returns:
        OrderedDict: ``mask2former.model.* -> tensor`` in dump order.
    """
    shapes = read_key_file(key_file)
    gen = torch.Generator().manual_seed(seed)
    index_cache: Dict[int, torch.Tensor] = {}
    sd: Dict[str, torch.Tensor] = OrderedDict()
    for name, shape in shapes.items():
        is_index = name.endswith('relative_position_index')
        if device == 'meta':
            sd[name] = torch.empty(
                shape,
                device='meta',
                dtype=torch.long if is_index else torch.float32)
        elif is_index:
            window = int(round(shape[0]**0.5))
            if window not in index_cache:
                index_cache[window] = hf_relative_position_index(window)
            sd[name] = index_cache[window].clone()
        else:
            sd[name] = torch.randn(shape, generator=gen)
    return sd


def build_docsam_base_state_dict(seed: int = 0) -> Dict[str, torch.Tensor]:
    """Random DocSAM-base state dict (1550 tensors, ~0.84 GB float32) with
    exactly the keys and shapes of ``docsam_base_all_dataset.pth``.

    For the end-to-end test of the converted model: convert it with
    ``conv.convert_docsam_state_dict`` and load ``converted`` strictly into
    the docseg_mm DocSAM-base model.
    """
    return build_docsam_state_dict(BASE_KEY_FILE, seed=seed)


def tiny_hf_swin(seed: int = 0) -> nn.Module:
    """Tiny HF ``SwinBackbone`` in eval mode with every parameter perturbed
    (so that LayerNorms and bias tables are not at their init values)."""
    from transformers import SwinBackbone, SwinConfig
    torch.manual_seed(seed)
    cfg = SwinConfig(
        embed_dim=TINY_SWIN['embed_dims'],
        depths=list(TINY_SWIN['depths']),
        num_heads=list(TINY_SWIN['num_heads']),
        window_size=TINY_SWIN['window_size'],
        image_size=64,
        out_features=['stage1', 'stage2', 'stage3', 'stage4'])
    model = SwinBackbone(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.2)
    return model


def mmdet_swin(embed_dims: int, depths: tuple, num_heads: tuple,
               window_size: int, **kwargs) -> nn.Module:
    """mmdet ``SwinTransformer`` (Linear init skipped: only used for its
    layout or loaded right after)."""
    from mmdet.models.backbones import SwinTransformer
    with mock.patch.object(nn.Linear, 'reset_parameters', lambda self: None):
        model = SwinTransformer(
            embed_dims=embed_dims,
            depths=depths,
            num_heads=num_heads,
            window_size=window_size,
            patch_norm=True,
            out_indices=(0, 1, 2, 3),
            drop_path_rate=0.,
            convert_weights=False,
            **kwargs)
    model.eval()  # mmdet's Swin ``train()`` does not return the module
    return model


def tiny_docsam_state_dict(seed: int = 0) -> Dict[str, torch.Tensor]:
    """A small DocSAM-like state dict: the tiny HF Swin plus a few small
    tensors in every other group (for file round trips)."""
    gen = torch.Generator().manual_seed(seed)
    sd: Dict[str, torch.Tensor] = OrderedDict()
    for k, v in tiny_hf_swin(seed).state_dict().items():
        sd[conv.SRC_PREFIX + conv.SWIN_SRC + k] = v.clone()
    rest = {
        'pixel_level_module.fpn.inner_blocks.0.0.weight': (8, 32, 1, 1),
        'pixel_level_module.fpn.inner_blocks.0.0.bias': (8, ),
        'pixel_level_module.decoder.level_embed': (3, 8),
        'pixel_level_module.feat_merge.fusion.0.weight': (8, 4, 3, 3),
        'transformer_module.textual_encoder.embeddings.word_embeddings.'
        'weight': (10, 6),
        'transformer_module.textual_encoder.pooler.dense.bias': (6, ),
        'transformer_module.semantic_query_projection.weight': (8, 6),
        'transformer_module.semantic_query_projection.bias': (8, ),
        'transformer_module.proposal_bboxes.weight': (5, 4),
        'transformer_module.instance_queries.weight': (5, 8),
        'transformer_module.instance_posembs.weight': (5, 8),
        'transformer_module.decoder.mask_position_conv.0.weight': (8, 8, 1, 1),
    }
    for k, shape in rest.items():
        sd[conv.SRC_PREFIX + k] = torch.randn(shape, generator=gen)
    return sd


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
# Swin pieces
# ---------------------------------------------------------------------------
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
    perm = conv.unfold_channel_permutation(red.shape[1])
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
def test_cli_round_trip(tmp_path, capsys, wrapper):
    sd = tiny_docsam_state_dict()
    src, dst = tmp_path / 'docsam.pth', tmp_path / 'docseg.pth'
    torch.save(sd if wrapper is None else {wrapper: sd}, src)
    argv = [str(src), str(dst)
            ] + (['--no-text-encoder'] if wrapper == 'model' else [])
    conv.main(argv)
    printed = capsys.readouterr().out
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
    assert f'saved to {dst}' in printed
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
