# Copyright (c) docseg_mm contributors. All rights reserved.
"""Convert the released DiG checkpoints (``ayumiymk/DiG``) to docseg_mm.

Both released files are ``{'model', 'optimizer', 'epoch', 'scaler',
'args'}``; only ``model`` is converted (``args`` is an ``argparse.Namespace``,
the one non-tensor type allowed while loading; the file is still read with
``weights_only=True``).

Pretraining checkpoint (398 tensors) -> :class:`DiG` (``state_dict``):

=================================  ======================================
DiG                                docseg_mm
=================================  ======================================
``encoder.*``                      ``backbone.*`` (:class:`DiGViT`)
``momentum_encoder.*``             ``target_net.module.0.*``
``pix_projector.{0,1,3,4,6,7}``    ``pix_projector.{fc0,bn0,fc1,bn1,fc2,bn2}``
``pix_projector_m.*``              ``target_net.module.1.*``
``encoder_projection_layer.*``     ``neck.*`` (same renumbering)
``momentum_projection_layer.*``    ``target_net.module.2.*``
``predictor.{0,1,3,4}``            ``head.predictor.{fc0,bn0,fc1,bn1}``
``pix_decoder.{0,1,2,4}``          ``pix_decoder.layers.{0,1,2,4}``
=================================  ======================================

ViT block keys: ``blocks.i.norm1/norm2`` -> ``layers.i.ln1/ln2``,
``mlp.fc1/fc2`` -> ``ffn.layers.0.0/ffn.layers.1``,
``patch_embed.proj`` -> ``patch_embed.projection``; the attention keys keep
their names. ``target_net.steps`` is added (1: the momentum branch is not
re-copied from the online one at the first step).

Fine-tuned recogniser (281 tensors) -> :class:`EncoderDecoderRecognizer`:
``encoder.*`` -> ``backbone.*`` (``encoder.norm`` -> ``backbone.ln1``),
``linear_norm.{0,1}`` -> ``neck.{fc,norm}``, ``decoder.*`` keeps its mmocr
names (``position_enc.position_table`` -> ``position_table``). The rows of
``trg_word_emb`` and ``classifier`` are permuted from DiG's indices (94
characters of ``string.printable[:-6]``, EOS 94, PAD 95, UNKNOWN 96, BOS 97
in the embedding only) to the target dictionary's order. The alias
``patch_embed.proj.*`` (the encoder's module registered twice) is dropped
after checking it equals ``encoder.patch_embed.proj.*``.
"""
import argparse
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch

from ..task_modules.text_dictionary import PRINTABLE94, Dictionary
from .loading import get_state_dict, load_source
from .report import ConversionReport

StateDict = Dict[str, torch.Tensor]

#: DiG's special token rows.
DIG_EOS, DIG_PAD, DIG_UNK, DIG_BOS = 94, 95, 96, 97

_MLP = {'0': 'fc0', '1': 'bn0', '3': 'fc1', '4': 'bn1', '6': 'fc2',
        '7': 'bn2'}
_BLOCK_RENAMES = (('norm1.', 'ln1.'), ('norm2.', 'ln2.'),
                  ('mlp.fc1.', 'ffn.layers.0.0.'),
                  ('mlp.fc2.', 'ffn.layers.1.'))
_PREFIXES = OrderedDict([
    ('momentum_encoder.', 'target_net.module.0.'),
    ('encoder.', 'backbone.'),
    ('pix_projector_m.', 'target_net.module.1.'),
    ('pix_projector.', 'pix_projector.'),
    ('momentum_projection_layer.', 'target_net.module.2.'),
    ('encoder_projection_layer.', 'neck.'),
    ('predictor.', 'head.predictor.'),
])


def _group_of(dst: str) -> str:
    """Summary group of a target key (``target_net.module.i.*`` apart)."""
    parts = dst.split('.')
    n = 3 if parts[0] == 'target_net' else 1
    return '.'.join(parts[:n]) + '.*'


def _vit_key(rest: str) -> str:
    """DiG ViT key (after ``encoder.``) -> :class:`DiGViT` key."""
    rest = rest.replace('patch_embed.proj.', 'patch_embed.projection.')
    m = re.match(r'blocks\.(\d+)\.(.+)$', rest)
    if m:
        i, tail = m.groups()
        for a, b in _BLOCK_RENAMES:
            if tail.startswith(a):
                return f'layers.{i}.{b}{tail[len(a):]}'
        if tail.startswith('attn.'):
            return f'layers.{i}.{tail}'
        raise KeyError(rest)
    if rest.startswith('norm.'):
        return 'ln1.' + rest[len('norm.'):]
    if rest == 'mask_token' or rest.startswith('patch_embed.'):
        return rest
    raise KeyError(rest)


def _map_pretrain_key(key: str) -> str:
    if key.startswith('pix_decoder.'):
        return 'pix_decoder.layers.' + key[len('pix_decoder.'):]
    for src, dst in _PREFIXES.items():
        if key.startswith(src):
            rest = key[len(src):]
            if src.endswith('encoder.'):
                return dst + _vit_key(rest)
            idx, tail = rest.split('.', 1)
            return f'{dst}{_MLP[idx]}.{tail}'
    raise KeyError(key)


def _token_rows(dictionary: Dictionary) -> List[int]:
    """DiG row of every entry of ``dictionary`` (raises for an entry DiG
    does not have)."""
    special = {dictionary.start_idx: DIG_BOS, dictionary.end_idx: DIG_EOS,
               dictionary.padding_idx: DIG_PAD,
               dictionary.unknown_idx: DIG_UNK}
    rows = []
    for idx, token in enumerate(dictionary.dict):
        if idx in special:
            rows.append(special[idx])
        elif token in PRINTABLE94:
            rows.append(PRINTABLE94.index(token))
        else:
            raise KeyError(f'character {token!r} of the target dictionary is '
                           'not in DiG\'s charset; its rows cannot be filled')
    return rows


def _convert_recognizer(src: StateDict, dictionary: Dictionary,
                        report: ConversionReport) -> StateDict:
    out: StateDict = OrderedDict()
    rows = _token_rows(dictionary)
    class_rows = [r for i, r in enumerate(rows) if i != dictionary.start_idx]
    for key, value in src.items():
        if key.startswith('patch_embed.proj.'):
            if not torch.equal(value, src['encoder.' + key]):
                raise ValueError(f'{key} differs from encoder.{key}')
            report.dropped[key] = 'alias of encoder.patch_embed.proj.* ' \
                '(same tensor)'
            continue
        if key.startswith('encoder.'):
            dst = 'backbone.' + _vit_key(key[len('encoder.'):])
        elif key.startswith('linear_norm.'):
            idx, tail = key[len('linear_norm.'):].split('.', 1)
            dst = f'neck.{dict(zip("01", ("fc", "norm")))[idx]}.{tail}'
        elif key == 'decoder.position_enc.position_table':
            dst = 'decoder.position_table'
        elif key == 'decoder.trg_word_emb.weight':
            value = value[rows]
            dst = key
        elif key.startswith('decoder.classifier.'):
            value = value[class_rows]
            dst = key
        elif re.match(r'decoder\.(layer_stack\.\d+\.|layer_norm\.)', key):
            dst = key
        else:
            raise KeyError(f'unknown key in a DiG recogniser: {key}')
        out[dst] = value
        report.mapped[key] = dst
    report.check_complete(src)
    unused = sorted(set(range(DIG_BOS + 1)) - set(rows))
    if unused:
        report.notes.append(
            f'DiG rows without an entry in the target dictionary: {unused}')
    return out


def _convert_pretrain(src: StateDict, report: ConversionReport) -> StateDict:
    out: StateDict = OrderedDict()
    for key, value in src.items():
        try:
            dst = _map_pretrain_key(key)
        except KeyError:
            raise KeyError(f'unknown key in a DiG pretraining checkpoint: '
                           f'{key}') from None
        out[dst] = value
        report.mapped[key] = dst
    report.check_complete(src)
    out['target_net.steps'] = torch.tensor(1, dtype=torch.long)
    report.added['target_net.steps'] = (
        'EMA step counter (1: the momentum branch is not re-copied from the '
        'online one at the first step)')
    return out


def convert_dig_state_dict(src: StateDict,
                           dictionary: Optional[Dictionary] = None
                           ) -> Tuple[StateDict, str, ConversionReport]:
    """Convert a DiG ``model`` state dict.

    Args:
        src (dict): ``checkpoint['model']`` of a released DiG file.
        dictionary (Dictionary, optional): Target dictionary of a recogniser
            (default: DiG's 94 characters with start, end, padding and
            unknown tokens in mmocr's order).

    Returns:
        tuple: The converted state dict, the kind ('pretrain' or
        'recognizer') and the report.
    """
    if any(k.startswith('momentum_encoder.') for k in src):
        report = ConversionReport('dig_pretrain', group_of=_group_of)
        return _convert_pretrain(src, report), 'pretrain', report
    if 'decoder.classifier.weight' in src:
        report = ConversionReport('dig_recognizer', group_of=_group_of)
        if dictionary is None:
            dictionary = Dictionary(characters=PRINTABLE94, with_start=True,
                                    with_end=True, with_padding=True,
                                    with_unknown=True)
        return _convert_recognizer(src, dictionary, report), 'recognizer', \
            report
    raise KeyError('neither a DiG pretraining checkpoint (momentum_encoder.*)'
                   ' nor a fine-tuned recogniser (decoder.classifier.*)')


def load_dig_checkpoint(path: str, model_key: str = 'model') -> StateDict:
    """Read the ``model`` (or ``module``) state dict of a DiG file safely.

    The file is read with :func:`~.loading.load_source`, allowing the
    ``argparse.Namespace`` of the training arguments that DiG pickles next
    to the weights, and nothing else besides tensors.

    Args:
        path (str): Checkpoint file.
        model_key (str): Entry holding the weights. Defaults to 'model'.

    Returns:
        dict: The state dict.

    Raises:
        UnsafeCheckpointError: The file holds other Python objects than
            tensors, containers, numbers and an ``argparse.Namespace``.
        TypeError: Neither ``model_key`` nor the file itself is a state dict.
    """
    return get_state_dict(load_source(path, [argparse.Namespace]),
                          wrappers=(model_key, ))


def dictionary_from_config(config: str) -> Dictionary:
    """The decoder dictionary of a recogniser config."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from docseg_mm.registry import TASK_UTILS
    init_default_scope('docseg_mm')
    return TASK_UTILS.build(Config.fromfile(config).model.decoder.dictionary)


def convert_file(src: str, dst: str, config: Optional[str] = None,
                 model_key: str = 'model') -> Tuple[str, ConversionReport]:
    """Convert a released DiG file and save ``{'state_dict', 'meta'}``.

    Args:
        src (str): Released DiG checkpoint (read safely, see
            :func:`load_dig_checkpoint`).
        dst (str): Output file.
        config (str, optional): Recogniser config whose dictionary orders
            the embedding / classifier rows (default: DiG's 94 characters in
            mmocr's token order). Defaults to None.
        model_key (str): Entry of ``src`` holding the weights.
            Defaults to 'model'.

    Returns:
        tuple: The kind ('pretrain' or 'recognizer') and the report.
    """
    dictionary = dictionary_from_config(config) if config else None
    state, kind, report = convert_dig_state_dict(
        load_dig_checkpoint(src, model_key), dictionary)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    torch.save(dict(state_dict=state,
                    meta=dict(source=osp.basename(src), converted_from='DiG',
                              kind=kind)), dst)
    return kind, report
