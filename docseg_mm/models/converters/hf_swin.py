# Copyright (c) docseg_mm contributors. All rights reserved.
"""HF ``SwinBackbone`` -> mmdet ``SwinTransformer`` weight conversion.

mmdet keeps a converter for the original Swin release
(``mmdet.models.backbones.swin.swin_converter``); this one reads the
Hugging Face layout (``embeddings.*``, ``encoder.layers.*``,
``hidden_states_norms.*``) that HF-based models such as DocSAM save. Query,
key and value projections are concatenated (in that order) into ``qkv``;
patch-merging ``reduction`` / ``norm`` channels are reordered from the
original Swin ``[x0, x1, x2, x3]`` concatenation to mmdet's ``nn.Unfold``
order; ``relative_position_index`` buffers are checked against the index
mmdet's ``WindowMSA`` computes.
"""
import math
import re
from collections import OrderedDict
from typing import Dict, List, Tuple

import torch

#: A state dict (an ``OrderedDict`` in practice).
StateDict = Dict[str, torch.Tensor]
#: ``(source key, target key)`` pairs.
Mapping = List[Tuple[str, str]]

#: HF Swin block sub-module -> mmdet ``SwinBlock`` sub-module.
SWIN_BLOCK_RENAMES: Dict[str, str] = {
    'layernorm_before': 'norm1',
    'layernorm_after': 'norm2',
    'attention.output.dense': 'attn.w_msa.proj',
    'intermediate.dense': 'ffn.layers.0.0',
    'output.dense': 'ffn.layers.1',
}
#: HF q/k/v projections, in the order of mmdet's fused ``qkv``.
QKV_PARTS: Tuple[str, ...] = ('query', 'key', 'value')

_RE_BLOCK = re.compile(r'encoder\.layers\.(\d+)\.blocks\.(\d+)\.(.+)')
_RE_BLOCK_LINEAR = re.compile(
    r'(layernorm_before|layernorm_after|attention\.output\.dense|'
    r'intermediate\.dense|output\.dense)\.(weight|bias)')
_RE_QKV = re.compile(r'attention\.self\.(query|key|value)\.(weight|bias)')
_RE_DOWNSAMPLE = re.compile(
    r'encoder\.layers\.(\d+)\.downsample\.(reduction\.weight|norm\.weight|'
    r'norm\.bias)')
_RE_STAGE_NORM = re.compile(r'hidden_states_norms\.stage(\d+)\.(weight|bias)')
_RE_EMBED = re.compile(
    r'embeddings\.(patch_embeddings\.projection|norm)\.(weight|bias)')


def unfold_channel_permutation(channels: int) -> torch.Tensor:
    """Indices that reorder patch-merging channels from HF to mmdet.

    HF (like the original Swin) concatenates the four pixels of each 2x2
    patch as ``[x0, x1, x2, x3]`` = offsets (row, col) ``(0,0), (1,0),
    (0,1), (1,1)``, each with all ``C`` channels: HF channel
    ``k * C + c``. mmdet's ``PatchMerging`` uses ``nn.Unfold``, whose output
    channel is ``c * 4 + p`` with the kernel position ``p = 2 * row + col``.
    Position ``p`` is HF block ``k = [0, 2, 1, 3][p]``.

    Args:
        channels (int): Merged channels ``4 * C``.

    Returns:
        torch.Tensor: ``perm`` (int64, ``(4C,)``) such that
        ``mmdet_tensor[..., j] = hf_tensor[..., perm[j]]``.
    """
    if channels % 4:
        raise ValueError(f'patch-merging channels must be a multiple of 4, '
                         f'got {channels}')
    c_in = channels // 4
    block_of_pos = torch.tensor([0, 2, 1, 3])
    c = torch.arange(c_in).repeat_interleave(4)  # j // 4
    p = torch.arange(4).repeat(c_in)  # j % 4
    return block_of_pos[p] * c_in + c


def swin_relative_position_index(window_size: int) -> torch.Tensor:
    """Relative position index of a ``window_size`` x ``window_size`` window
    as mmdet's ``WindowMSA`` registers it.

    Entry ``(i, j)`` indexes the bias table with the offset of token ``i``
    from token ``j`` (row-major tokens): ``(dr + W - 1) * (2W - 1) +
    (dc + W - 1)``.

    Args:
        window_size (int): Window side ``W``.

    Returns:
        torch.Tensor: int64 ``(W*W, W*W)``.
    """
    rows, cols = torch.meshgrid(
        torch.arange(window_size), torch.arange(window_size), indexing='ij')
    rows, cols = rows.flatten(), cols.flatten()
    dr = rows[:, None] - rows[None, :] + window_size - 1
    dc = cols[:, None] - cols[None, :] + window_size - 1
    return dr * (2 * window_size - 1) + dc


def _window_of_index(index: torch.Tensor) -> int:
    n = index.shape[0]
    w = math.isqrt(n)
    if index.dim() != 2 or index.shape[1] != n or w * w != n:
        raise ValueError(f'relative_position_index must be (W*W, W*W), got '
                         f'{tuple(index.shape)}')
    return w


def rename_swin_key(key: str) -> str:
    """Name of an HF ``SwinBackbone`` tensor in mmdet's ``SwinTransformer``.

    ``attention.self.{query,key,value}.*`` all map to ``attn.w_msa.qkv.*``
    (see :func:`convert_swin_state_dict` for the concatenation).

    Args:
        key (str): HF key, e.g. ``'encoder.layers.0.blocks.1.'
            'layernorm_before.weight'`` (no ``pixel_level_module.encoder.``).

    Returns:
        str: mmdet key without the ``backbone.`` prefix.

    Raises:
        KeyError: If ``key`` is not a tensor of an HF Swin backbone without
            absolute position embeddings.
    """
    m = _RE_EMBED.fullmatch(key)
    if m:
        module = 'projection' if m.group(1).startswith('patch') else 'norm'
        return f'patch_embed.{module}.{m.group(2)}'
    m = _RE_BLOCK.fullmatch(key)
    if m:
        stage, block, rest = m.groups()
        prefix = f'stages.{stage}.blocks.{block}.'
        sub = _RE_BLOCK_LINEAR.fullmatch(rest)
        if sub:
            return f'{prefix}{SWIN_BLOCK_RENAMES[sub.group(1)]}.{sub.group(2)}'
        sub = _RE_QKV.fullmatch(rest)
        if sub:
            return f'{prefix}attn.w_msa.qkv.{sub.group(2)}'
        if rest in ('attention.self.relative_position_bias_table',
                    'attention.self.relative_position_index'):
            return f'{prefix}attn.w_msa.{rest.rsplit(".", 1)[1]}'
    m = _RE_DOWNSAMPLE.fullmatch(key)
    if m:
        return f'stages.{m.group(1)}.downsample.{m.group(2)}'
    m = _RE_STAGE_NORM.fullmatch(key)
    if m and int(m.group(1)) >= 1:
        return f'norm{int(m.group(1)) - 1}.{m.group(2)}'
    raise KeyError(f'unknown HF Swin key {key!r}')


def convert_swin_key(key: str,
                     value: torch.Tensor) -> Tuple[str, torch.Tensor]:
    """Convert one HF Swin tensor that maps to exactly one mmdet tensor.

    Patch-merging ``reduction.weight`` (columns) and ``norm.*`` are reordered
    with :func:`unfold_channel_permutation`; other tensors are unchanged.
    Works on ``meta`` tensors.

    Args:
        key (str): HF key (see :func:`rename_swin_key`).
        value (torch.Tensor): The tensor.

    Returns:
        tuple[str, torch.Tensor]: mmdet key (no ``backbone.``) and tensor.

    Raises:
        KeyError: If the key is unknown.
        ValueError: For ``query`` / ``key`` / ``value`` tensors, which must
            be fused with :func:`convert_swin_state_dict`.
    """
    new_key = rename_swin_key(key)
    if '.attn.w_msa.qkv.' in new_key:
        raise ValueError(f'{key!r} is a part of the fused qkv; use '
                         'convert_swin_state_dict()')
    if '.downsample.reduction.' in new_key:
        perm = unfold_channel_permutation(value.shape[1]).to(value.device)
        return new_key, value.index_select(1, perm)
    if '.downsample.norm.' in new_key:
        perm = unfold_channel_permutation(value.shape[0]).to(value.device)
        return new_key, value.index_select(0, perm)
    return new_key, value


def convert_swin_state_dict(
        state_dict: StateDict,
        check_buffers: bool = True) -> Tuple[StateDict, StateDict, Mapping]:
    """Convert an HF ``SwinBackbone`` state dict to mmdet ``SwinTransformer``.

    Args:
        state_dict (dict): HF keys (``embeddings.*``, ``encoder.layers.*``,
            ``hidden_states_norms.*``).
        check_buffers (bool): Compare ``relative_position_index`` with
            :func:`swin_relative_position_index` (skipped for ``meta``
            tensors); a differing buffer is not copied but returned in
            ``unused``. Defaults to True.

    Returns:
        tuple[OrderedDict, dict, list]: mmdet state dict (no ``backbone.``
        prefix), HF tensors not converted (``key -> tensor``), and
        ``(hf key, mmdet key)`` pairs (three pairs per fused ``qkv``).

    Raises:
        KeyError: If a key is unknown, two keys give the same target, or a
            q/k/v triplet is incomplete.
        ValueError: If the q/k/v shapes differ.
    """
    out: StateDict = OrderedDict()
    unused: StateDict = OrderedDict()
    mapping: Mapping = []
    qkv: Dict[str, Dict[str, Tuple[str, torch.Tensor]]] = {}
    for key, value in state_dict.items():
        new_key = rename_swin_key(key)
        if new_key in out:
            raise KeyError(f'two source keys map to {new_key!r}')
        if '.attn.w_msa.qkv.' in new_key:
            part = _RE_QKV.fullmatch(
                _RE_BLOCK.fullmatch(key).group(3)).group(1)
            parts = qkv.setdefault(new_key, {})
            if part in parts:
                raise KeyError(f'{key!r} appears twice')
            parts[part] = (key, value)
            if len(parts) < len(QKV_PARTS):
                continue
            shapes = {tuple(parts[p][1].shape) for p in QKV_PARTS}
            if len(shapes) != 1:
                raise ValueError(f'q/k/v of {new_key!r} have different '
                                 f'shapes {shapes}')
            out[new_key] = torch.cat([parts[p][1] for p in QKV_PARTS], dim=0)
            mapping += [(parts[p][0], new_key) for p in QKV_PARTS]
            del qkv[new_key]
            continue
        if new_key.endswith('.relative_position_index'):
            window = _window_of_index(value)
            if (check_buffers and value.device.type != 'meta'
                    and not torch.equal(value.cpu().long(),
                                        swin_relative_position_index(window))):
                unused[key] = value
                continue
        new_key, new_value = convert_swin_key(key, value)
        out[new_key] = new_value
        mapping.append((key, new_key))
    if qkv:
        missing = {
            k: [p for p in QKV_PARTS if p not in v]
            for k, v in qkv.items()
        }
        raise KeyError(f'incomplete q/k/v triplets: {missing}')
    return out, unused, mapping


def infer_swin_arch(state_dict: StateDict) -> Dict[str, object]:
    """mmdet ``SwinTransformer`` arguments of an HF Swin state dict.

    Args:
        state_dict (dict): HF Swin keys (no ``pixel_level_module.encoder.``).

    Returns:
        dict: ``embed_dims``, ``depths``, ``num_heads``, ``window_size``.

    Raises:
        KeyError: If the patch embedding or the bias tables are missing.
    """
    embed = state_dict['embeddings.patch_embeddings.projection.weight']
    blocks: Dict[int, int] = {}
    heads: Dict[int, int] = {}
    windows = set()
    for key, value in state_dict.items():
        m = _RE_BLOCK.fullmatch(key)
        if not m:
            continue
        stage, block = int(m.group(1)), int(m.group(2))
        blocks[stage] = max(blocks.get(stage, 0), block + 1)
        if m.group(3) == 'attention.self.relative_position_bias_table':
            heads.setdefault(stage, value.shape[1])
            side = math.isqrt(value.shape[0])
            windows.add((side + 1) // 2)
    stages = sorted(blocks)
    if not stages or stages != list(range(
            len(stages))) or set(heads) != set(stages) or len(windows) != 1:
        raise KeyError('cannot infer the Swin architecture: stages '
                       f'{stages}, heads {heads}, windows {windows}')
    return dict(
        embed_dims=int(embed.shape[0]),
        depths=tuple(blocks[s] for s in stages),
        num_heads=tuple(int(heads[s]) for s in stages),
        window_size=int(windows.pop()))
