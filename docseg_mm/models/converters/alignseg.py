# Copyright (c) docseg_mm contributors. All rights reserved.
"""Convert DINO / Leopart ViT-S/16 and released AlignSeg weights.

Three source layouts (``detect_layout``):

* ``'dino'``: DINO's released backbone (``dino_deitsmall16_pretrain.pth``),
  a plain state dict ``cls_token, pos_embed, patch_embed.proj.*,
  blocks.{i}.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}.*, norm.*``;
* ``'leopart'``: Leopart's checkpoint, the same ViT under ``model.`` plus the
  ``model.projection_head.*`` / ``model.prototypes.*`` heads and possibly a
  ``teacher.*`` copy (AlignSeg's ``neq_load_external`` strips ``model.`` and
  keeps only the ViT);
* ``'alignseg'``: a released AlignSeg checkpoint ``{'epoch', 'net',
  'state_dict', 'optimizer'}`` whose state dict holds ``backbone.*`` (DINO
  names), ``clsQueries.weight`` and the ``decoder_{cross_attention,
  self_attention,ffn}_layers.{j}`` tensors: 169 keys for the VOC eval config
  (one decoder layer), 205 for COCO-Stuff (three).

The ViT goes to mmpretrain names (as mmpretrain's ``deit3_to_mmpretrain``)
under ``backbone.`` of :class:`~docseg_mm.models.AlignSeg`; the AlignSeg
head goes to ``decode_head.queries`` and the mmdet
``Mask2FormerTransformerDecoderLayer`` names of ``decode_head.decoder``.
Every source key is mapped or dropped with a reason; an unknown key is an
error.
"""
import pickle
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch

from docseg_mm.utils import load_checkpoint_file

StateDict = Dict[str, torch.Tensor]
LAYOUTS = ('dino', 'leopart', 'alignseg')

#: DINO ViT block sub-module -> mmpretrain ``TransformerEncoderLayer`` name.
_BLOCK_RENAMES = (
    ('norm1.', 'ln1.'),
    ('attn.qkv.', 'attn.qkv.'),
    ('attn.proj.', 'attn.proj.'),
    ('norm2.', 'ln2.'),
    ('mlp.fc1.', 'ffn.layers.0.0.'),
    ('mlp.fc2.', 'ffn.layers.1.'),
)
#: Top-level DINO ViT keys -> mmpretrain ``VisionTransformer`` names.
_TOP_RENAMES = (
    ('cls_token', 'cls_token'),
    ('pos_embed', 'pos_embed'),
    ('patch_embed.proj.', 'patch_embed.projection.'),
    ('norm.', 'ln1.'),
)
#: AlignSeg decoder module lists -> (mmdet sub-module, norm index).
_DECODER_RENAMES = {
    'decoder_cross_attention_layers': ('multihead_attn.', 'cross_attn.attn.',
                                       0),
    'decoder_self_attention_layers': ('self_attn.', 'self_attn.attn.', 1),
    'decoder_ffn_layers': (None, None, 2),
}
_FFN_RENAMES = (('linear1.', 'ffn.layers.0.0.'), ('linear2.', 'ffn.layers.1.'))
_MHA_TENSORS = ('in_proj_weight', 'in_proj_bias', 'out_proj.weight',
                'out_proj.bias')


@dataclass
class ConversionReport:
    """What happened to every source key.

    Attributes:
        layout (str): Detected source layout.
        mapped (dict): Source key -> target key.
        dropped (dict): Source key -> reason.
        notes (list): Free-form remarks (decoder depth, ...).
    """
    layout: str = ''
    mapped: Dict[str, str] = field(default_factory=dict)
    dropped: Dict[str, str] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)

    def check_complete(self, source_keys: List[str]) -> None:
        """Raise unless every source key is mapped or dropped exactly once."""
        seen = set(self.mapped) | set(self.dropped)
        missing = [k for k in source_keys if k not in seen]
        both = set(self.mapped) & set(self.dropped)
        if missing or both:
            raise AssertionError(f'unaccounted keys {missing[:5]}, keys both '
                                 f'mapped and dropped {sorted(both)[:5]}')

    def summary(self) -> str:
        """Counts per outcome, then every dropped key with its reason."""
        lines = [f'layout: {self.layout}', f'mapped: {len(self.mapped)}',
                 f'dropped: {len(self.dropped)}']
        lines += [f'  - {k}: {r}' for k, r in self.dropped.items()]
        lines += [f'note: {n}' for n in self.notes]
        return '\n'.join(lines)


def convert_vit_key(key: str) -> Optional[str]:
    """Map one DINO ViT key (no prefix) to its mmpretrain name.

    Args:
        key (str): E.g. ``'blocks.3.mlp.fc1.weight'``.

    Returns:
        str | None: E.g. ``'layers.3.ffn.layers.0.0.weight'``; None if the
        key is not a DINO ViT tensor.
    """
    m = re.fullmatch(r'blocks\.(\d+)\.(.+)', key)
    if m:
        for src, dst in _BLOCK_RENAMES:
            if m.group(2).startswith(src):
                return f'layers.{m.group(1)}.{dst}' + m.group(2)[len(src):]
        return None
    for src, dst in _TOP_RENAMES:
        if key == src or (src.endswith('.') and key.startswith(src)
                          and key[len(src):] in ('weight', 'bias')):
            return dst + key[len(src):]
    return None


def _convert_decoder_key(key: str) -> Optional[str]:
    m = re.fullmatch(r'(decoder_\w+_layers)\.(\d+)\.(.+)', key)
    if not m or m.group(1) not in _DECODER_RENAMES:
        return None
    group, j, rest = m.groups()
    attn_src, attn_dst, norm_idx = _DECODER_RENAMES[group]
    base = f'decode_head.decoder.layers.{j}.'
    if rest in ('norm.weight', 'norm.bias'):
        return base + f'norms.{norm_idx}.' + rest.split('.')[1]
    if attn_src is not None and rest.startswith(attn_src):
        tensor = rest[len(attn_src):]
        return base + attn_dst + tensor if tensor in _MHA_TENSORS else None
    if attn_src is None:
        for src, dst in _FFN_RENAMES:
            if rest.startswith(src) and rest[len(src):] in ('weight', 'bias'):
                return base + dst + rest[len(src):]
    return None


def detect_layout(state_dict: StateDict) -> str:
    """``'alignseg'``, ``'leopart'`` or ``'dino'`` from the key names."""
    if any(k.startswith(('clsQueries.', 'decoder_')) for k in state_dict):
        return 'alignseg'
    if any(k.startswith('model.') for k in state_dict):
        return 'leopart'
    return 'dino'


def convert_state_dict(state_dict: StateDict,
                       layout: Optional[str] = None
                       ) -> Tuple['OrderedDict[str, torch.Tensor]',
                                  ConversionReport]:
    """Convert a source state dict to docseg_mm AlignSeg names.

    Args:
        state_dict (dict): Source tensors.
        layout (str, optional): One of :data:`LAYOUTS`; detected when None.

    Returns:
        tuple: The converted ``OrderedDict`` (``backbone.*`` and, for AlignSeg
        checkpoints, ``decode_head.*``) and the :class:`ConversionReport`.

    Raises:
        KeyError: For a key the layout does not know.
    """
    layout = layout or detect_layout(state_dict)
    if layout not in LAYOUTS:
        raise ValueError(f'layout must be one of {LAYOUTS}, got {layout!r}')
    report = ConversionReport(layout=layout)
    out: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    unknown = []
    vit_prefix = {'dino': '', 'leopart': 'model.', 'alignseg': 'backbone.'}
    for key, tensor in state_dict.items():
        target = None
        prefix = vit_prefix[layout]
        if key.startswith(prefix):
            vit = convert_vit_key(key[len(prefix):])
            target = 'backbone.' + vit if vit else None
        if target is None and layout == 'alignseg':
            if key == 'clsQueries.weight':
                target = 'decode_head.queries.weight'
            else:
                target = _convert_decoder_key(key)
        if target is None:
            reason = _drop_reason(layout, key)
            if reason is None:
                unknown.append(key)
            else:
                report.dropped[key] = reason
            continue
        out[target] = tensor
        report.mapped[key] = target
    if unknown:
        raise KeyError(f'{len(unknown)} key(s) unknown to the {layout!r} '
                       f'layout: {unknown[:10]}')
    if layout == 'alignseg':
        depth = len({k.split('.')[1] for k in state_dict
                     if k.startswith('decoder_ffn_layers.')})
        hidden = state_dict.get('decoder_ffn_layers.0.linear1.weight')
        report.notes.append(
            f'decoder: {depth} layer(s), FFN width '
            f'{None if hidden is None else hidden.shape[0]} (build the head '
            'with the same num_layers / feedforward_channels)')
    report.check_complete(list(state_dict))
    return out, report


def _drop_reason(layout: str, key: str) -> Optional[str]:
    if layout == 'leopart':
        if key.startswith(('model.projection_head.', 'model.prototypes.')):
            return 'Leopart clustering head, not part of the ViT'
        if key.startswith('teacher.'):
            return ('Leopart momentum teacher; the student ViT (model.*) is '
                    'the one AlignSeg loads')
    if layout == 'dino' and key.startswith('head.'):
        return 'classification/projection head, not part of the ViT'
    return None


def load_source(path: str) -> dict:
    """Load a source file with ``weights_only=True``.

    Args:
        path (str): ``.pth`` / ``.ckpt`` file.

    Returns:
        dict: The loaded object.

    Raises:
        ValueError: If the file pickles objects other than tensors and
            plain containers (it is then refused, not executed).
    """
    try:
        return load_checkpoint_file(path, map_location='cpu')
    except pickle.UnpicklingError as e:
        try:
            names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        except Exception:  # noqa: BLE001 - only used for the message
            names = ['(could not be listed)']
        raise ValueError(
            f'{path} is refused: besides tensors it pickles the Python '
            f'object(s) {names}, which a weights-only load does not '
            'execute. Only the weights are needed: save the state dict '
            '(tensors only) from the environment that wrote the file.'
        ) from e


def split_checkpoint(obj: dict) -> Tuple[StateDict, Dict[str, str]]:
    """The tensor state dict of a loaded file and its other top-level
    entries with the reason they are dropped.

    Args:
        obj (dict): A plain state dict or ``{'state_dict': ..., ...}``.

    Returns:
        tuple: ``(state_dict, {top-level key: reason})``.
    """
    if not isinstance(obj, dict):
        raise TypeError(f'expected a dict, got {type(obj).__name__}')
    if isinstance(obj.get('state_dict'), dict):
        others = {
            k: 'training state (epoch / architecture name / optimizer), not '
            'weights'
            for k in obj if k != 'state_dict'
        }
        obj = obj['state_dict']
    else:
        others = {}
    bad = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise TypeError(f'non-tensor entries in the state dict: {bad[:5]}')
    return obj, others


def convert_file(src: str,
                 dst: str,
                 layout: Optional[str] = None) -> ConversionReport:
    """Convert ``src`` and save ``{'state_dict', 'meta'}`` to ``dst``.

    Args:
        src (str): DINO / Leopart / AlignSeg file.
        dst (str): Output checkpoint (loadable with ``load_from`` or, for
            the backbone, ``init_cfg=dict(type='Pretrained',
            prefix='backbone.')``).
        layout (str, optional): Force a layout. Defaults to detection.

    Returns:
        ConversionReport: The report (top-level entries under ``top:``).
    """
    state_dict, others = split_checkpoint(load_source(src))
    out, report = convert_state_dict(state_dict, layout)
    for key, reason in others.items():
        report.dropped[f'top:{key}'] = reason
    torch.save({'state_dict': out,
                'meta': {'source': src, 'layout': report.layout}}, dst)
    return report
