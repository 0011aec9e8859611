# Copyright (c) docseg_mm contributors. All rights reserved.
"""Synthetic DocSAM / HF Swin sources for the converter tests.

The DocSAM state dicts have exactly the keys and shapes of the released
checkpoints, read from the key dumps in ``tests/data/checkpoint_keys/``
(copied from the reference dumps). :func:`build_docsam_base_state_dict` is
also used by the end-to-end test of the converted docseg_mm DocSAM model.
"""
import ast
import os.path as osp
from collections import OrderedDict
from typing import Dict, Tuple
from unittest import mock

import pytest
import torch
import torch.nn as nn

from docseg_mm.models.converters.docsam import SRC_PREFIX, SWIN_SRC

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
KEY_DIR = osp.join(REPO, 'tests', 'data', 'checkpoint_keys')
BASE_KEY_FILE = osp.join(KEY_DIR, 'docsam_base_state_dict_keys.txt')
LARGE_KEY_FILE = osp.join(KEY_DIR, 'docsam_large_state_dict_keys.txt')

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
    ``convert_docsam_state_dict`` and load ``converted`` strictly into
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
        sd[SRC_PREFIX + SWIN_SRC + k] = v.clone()
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
        sd[SRC_PREFIX + k] = torch.randn(shape, generator=gen)
    return sd
