# Copyright (c) docseg_mm contributors. All rights reserved.
"""Original SelfDocSeg weights <-> docseg_mm SelfDocSeg checkpoints.

Two kinds of source file are understood (the kind is detected from the keys):

* **Lightning** — the ``.ckpt`` written by the original pre-training script
  (``pretraining/train_ssl.py``), a dict whose ``'state_dict'`` holds the
  981 tensors of the ``SelfDocSeg`` LightningModule. By default it becomes a
  checkpoint of the whole docseg_mm SelfDocSeg model (``backbone.*``,
  ``neck.*``, ``head.predictor.*``, ``layout_head.conv.*`` and the momentum
  branch ``target_net.*``); :func:`select_backbone` keeps one encoder only.
* **Encoder** — a torchvision ResNet-50 ``.pth`` state dict (see
  :func:`~docseg_mm.models.converters.torchvision_resnet.convert_torchvision_encoder`).
  It becomes a checkpoint with ``backbone.*`` keys.

Every source key is either mapped or listed as dropped together with the
reason; a key the converter does not know is an error.

:func:`export_encoder` goes the other way: it takes one encoder of a
docseg_mm SelfDocSeg checkpoint out with torchvision names, for mmdet /
mmpretrain ``ResNet`` initialisation.

The command lines are ``tools/model_converters/selfdocseg_to_docseg.py`` and
``tools/model_converters/selfdocseg_export_encoder.py``.
"""
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch

from .loading import get_state_dict, load_source
from .report import ConversionReport
from .torchvision_resnet import (RESNET50_SHAPES, SEQ_TO_TORCHVISION,
                                 StateDict, check_resnet_tensor,
                                 convert_torchvision_encoder,
                                 seq_to_torchvision)

__all__ = [
    'RESNET50_SHAPES', 'SEQ_TO_TORCHVISION', 'ConversionReport',
    'convert_lightning_state_dict', 'convert_torchvision_encoder',
    'expected_docseg_keys', 'select_backbone', 'detect_format',
    'convert_file', 'export_encoder', 'export_file', 'ENCODER_PREFIXES'
]

#: lightly ``ProjectionHead.layers`` index -> mmpretrain ``NonLinearNeck``
#: module name (index 2 is the ReLU).
MLP_TO_NECK: Dict[str, str] = {'0': 'fc0', '1': 'bn0', '3': 'fc1'}

#: Tensors of each ``NonLinearNeck`` module (lightly: first Linear without
#: bias because a BatchNorm follows, last Linear with bias).
NECK_PARAMS: Dict[str, Tuple[str, ...]] = {
    'fc0': ('weight', ),
    'bn0': ('weight', 'bias', 'running_mean', 'running_var',
            'num_batches_tracked'),
    'fc1': ('weight', 'bias'),
}

#: Target prefixes of the docseg_mm SelfDocSeg model.
BACKBONE_PREFIX = 'backbone.'
NECK_PREFIX = 'neck.'
PREDICTOR_PREFIX = 'head.predictor.'
LAYOUT_HEAD_PREFIX = 'layout_head.conv.'
EMA_BACKBONE_PREFIX = 'target_net.module.0.'
EMA_NECK_PREFIX = 'target_net.module.1.'
#: The only buffer of mmengine's ``BaseAveragedModel`` itself.
EMA_STEPS_KEY = 'target_net.steps'

#: Source module -> (target prefix, kind). ``kind`` picks the renaming rule.
LIGHTNING_MODULES: Dict[str, Tuple[str, str]] = {
    'bb_feat': (BACKBONE_PREFIX, 'resnet'),
    'bb_feat_momentum': (EMA_BACKBONE_PREFIX, 'resnet'),
    'projection_head': (NECK_PREFIX, 'mlp'),
    'projection_head_momentum': (EMA_NECK_PREFIX, 'mlp'),
    'prediction_head': (PREDICTOR_PREFIX, 'mlp'),
    'mask_localizer': (LAYOUT_HEAD_PREFIX, 'conv'),
}


def _group_name(key: str) -> str:
    """Coarse group of a target key for the summary."""
    for prefix in (EMA_BACKBONE_PREFIX, EMA_NECK_PREFIX, PREDICTOR_PREFIX,
                   LAYOUT_HEAD_PREFIX, BACKBONE_PREFIX, NECK_PREFIX):
        if key.startswith(prefix):
            return prefix + '*'
    return key


def _rename_mlp(rest: str, src_key: str) -> str:
    """``layers.<j>.<param>`` of a lightly head -> NonLinearNeck name."""
    m = re.fullmatch(r'layers\.(\d+)\.(\w+)', rest)
    if m is None or m.group(1) not in MLP_TO_NECK:
        raise KeyError(f'unknown key {src_key!r}: expected '
                       "'layers.{0,1,3}.<tensor>' under a BYOL head")
    module = MLP_TO_NECK[m.group(1)]
    if m.group(2) not in NECK_PARAMS[module]:
        raise KeyError(f'unknown key {src_key!r}: {module} of the docseg_mm '
                       f'neck has only {NECK_PARAMS[module]}')
    return f'{module}.{m.group(2)}'


def _rename_conv(rest: str, src_key: str) -> str:
    """``0.{weight,bias}`` of ``mask_localizer`` -> ``{weight,bias}``."""
    if rest not in ('0.weight', '0.bias'):
        raise KeyError(f'unknown key {src_key!r}: mask_localizer holds only '
                       '0.weight and 0.bias')
    return rest[2:]


def convert_lightning_state_dict(
        state_dict: Dict[str, torch.Tensor],
        duplicate_source: Optional[str] = None,
        ema_steps: int = 1,
        require_complete: bool = True) -> Tuple[StateDict, ConversionReport]:
    """Map the state dict of the original SelfDocSeg LightningModule to the
    docseg_mm SelfDocSeg model.

    Mapping (``<tv>``: torchvision ResNet name of Sequential index
    0 conv1, 1 bn1, 4-7 layer1-4):

    * ``bb_feat.<i>.<rest>`` -> ``backbone.<tv>.<rest>``
    * ``backbone.0.<i>.<rest>`` -> duplicate of ``bb_feat.<i>.<rest>``
      (checked equal, dropped)
    * ``projection_head.layers.{0,1,3}.*`` -> ``neck.{fc0,bn0,fc1}.*``
    * ``prediction_head.layers.{0,1,3}.*`` ->
      ``head.predictor.{fc0,bn0,fc1}.*``
    * ``mask_localizer.0.*`` -> ``layout_head.conv.*``
    * ``bb_feat_momentum.<i>.<rest>`` -> ``target_net.module.0.<tv>.<rest>``
    * ``projection_head_momentum.layers.*`` -> ``target_net.module.1.*``
    * ``dummy_param`` -> dropped
    * ``target_net.steps`` is added (``ema_steps``).

    Args:
        state_dict (dict): ``ckpt['state_dict']`` of the Lightning checkpoint.
        duplicate_source (str, optional): What to do when ``backbone.0.*``
            and ``bb_feat.*`` differ: None raises, ``'bb_feat'`` or
            ``'backbone'`` keeps that copy. Defaults to None.
        ema_steps (int): Value of ``target_net.steps``. mmengine's averaged
            model *copies* the online weights into the target net on the
            first update when ``steps == 0``, which would throw away the
            converted momentum branch; any value >= 1 keeps it. Defaults to 1.
        require_complete (bool): Raise if a tensor of the target layout is
            missing from the source. Defaults to True.

    Returns:
        tuple[OrderedDict, ConversionReport]: New state dict and the report.

    Raises:
        KeyError: If a key is unknown.
        ValueError: If duplicates differ (and ``duplicate_source`` is None),
            a ResNet tensor has a wrong shape, or (``require_complete``) a
            target tensor is missing.
    """
    if duplicate_source not in (None, 'bb_feat', 'backbone'):
        raise ValueError(f'duplicate_source must be None, "bb_feat" or '
                         f'"backbone", got {duplicate_source!r}')
    report = ConversionReport('lightning', group_of=_group_name)
    out: StateDict = OrderedDict()
    unknown: List[str] = []
    # online encoder copies: torchvision name -> source key
    feat_keys: Dict[str, str] = {}
    dup_keys: Dict[str, str] = {}

    for key, tensor in state_dict.items():
        if key == 'dummy_param':
            report.dropped[key] = ('lightly BenchmarkModule placeholder '
                                   '(empty parameter)')
            continue
        if key.startswith('backbone.'):
            # backbone = Sequential(bb_feat, bb_vec); bb_vec has no tensors.
            rest = key[len('backbone.'):]
            tv = seq_to_torchvision(rest[2:]) if rest.startswith('0.') \
                else None
            if tv is None:
                unknown.append(key)
                continue
            check_resnet_tensor(tv, tensor, key)
            dup_keys[tv] = key
            continue
        module, _, rest = key.partition('.')
        if module not in LIGHTNING_MODULES:
            unknown.append(key)
            continue
        prefix, kind = LIGHTNING_MODULES[module]
        if kind == 'resnet':
            tv = seq_to_torchvision(rest)
            if tv is None:
                unknown.append(key)
                continue
            check_resnet_tensor(tv, tensor, key)
            if module == 'bb_feat':
                feat_keys[tv] = key
                continue  # emitted after the duplicate check
            new = prefix + tv
        elif kind == 'mlp':
            new = prefix + _rename_mlp(rest, key)
        else:
            new = prefix + _rename_conv(rest, key)
        out[new] = tensor
        report.mapped[key] = new

    if unknown:
        raise KeyError(f'{len(unknown)} unknown key(s) in the SelfDocSeg '
                       f'Lightning state dict: {unknown[:10]}')

    # The online encoder is saved twice (bb_feat.* and backbone.0.*).
    differ = [tv for tv in feat_keys
              if tv in dup_keys and not torch.equal(
                  state_dict[feat_keys[tv]], state_dict[dup_keys[tv]])]
    if differ and duplicate_source is None:
        raise ValueError(
            f'{len(differ)} tensor(s) of bb_feat.* differ from their '
            f'duplicate backbone.0.*, e.g. {feat_keys[differ[0]]!r} vs '
            f'{dup_keys[differ[0]]!r}; pass duplicate_source="bb_feat" or '
            '"backbone" (--duplicate-source) to choose one')
    online: 'OrderedDict[str, str]' = OrderedDict()
    for tv in RESNET50_SHAPES:
        copies = [k for k in (feat_keys.get(tv), dup_keys.get(tv)) if k]
        if not copies:
            continue
        if len(copies) == 2 and duplicate_source == 'backbone':
            copies.reverse()
        online[tv] = copies[0]
        if len(copies) == 2:
            same = tv not in differ
            kept = 'bb_feat.*' if copies[0].startswith('bb_feat.') \
                else 'backbone.0.*'
            report.dropped[copies[1]] = (
                f'duplicate of {kept} '
                + ('(identical)' if same else
                   f'(differs; kept {duplicate_source!r} copy)'))
    # Keep the usual order: backbone first.
    ordered: StateDict = OrderedDict(
        (BACKBONE_PREFIX + tv, state_dict[src]) for tv, src in online.items())
    for tv, src in online.items():
        report.mapped[src] = BACKBONE_PREFIX + tv
    ordered.update(out)
    out = ordered
    if dup_keys or feat_keys:
        report.notes.append(
            f'online encoder duplicates: {len(set(dup_keys) & set(feat_keys))}'
            f' pairs compared, {len(differ)} differ')

    out[EMA_STEPS_KEY] = torch.tensor(int(ema_steps), dtype=torch.long)
    report.added[EMA_STEPS_KEY] = (
        f'EMA update counter = {int(ema_steps)} (>= 1 keeps the converted '
        'momentum branch at the first EMA update)')
    # List the mapped keys in output order.
    by_target = {dst: src for src, dst in report.mapped.items()}
    report.mapped = {by_target[k]: k for k in out if k in by_target}
    report.check_complete(list(state_dict))
    if require_complete:
        missing = [k for k in expected_docseg_keys() if k not in out]
        if missing:
            raise ValueError(f'{len(missing)} tensor(s) of the docseg_mm '
                             f'SelfDocSeg model are missing from the source, '
                             f'e.g. {missing[:5]}')
    return out, report


def expected_docseg_keys() -> List[str]:
    """Keys of the docseg_mm SelfDocSeg model that the conversion fills."""
    keys = [BACKBONE_PREFIX + k for k in RESNET50_SHAPES]
    for prefix in (NECK_PREFIX, PREDICTOR_PREFIX):
        keys += [f'{prefix}{m}.{t}' for m, ts in NECK_PARAMS.items()
                 for t in ts]
    keys += [LAYOUT_HEAD_PREFIX + 'weight', LAYOUT_HEAD_PREFIX + 'bias']
    keys += [EMA_BACKBONE_PREFIX + k for k in RESNET50_SHAPES]
    keys += [f'{EMA_NECK_PREFIX}{m}.{t}' for m, ts in NECK_PARAMS.items()
             for t in ts]
    keys.append(EMA_STEPS_KEY)
    return keys


def select_backbone(state_dict: Dict[str, torch.Tensor],
                    which: str = 'online') -> StateDict:
    """Keep only one encoder of a converted full-model state dict, as
    ``backbone.*``.

    Args:
        state_dict (dict): Output of :func:`convert_lightning_state_dict`.
        which (str): ``'online'`` (``backbone.*``) or ``'momentum'``
            (``target_net.module.0.*``). Defaults to ``'online'``.

    Returns:
        OrderedDict: ``backbone.<tv-name>`` -> tensor.
    """
    src = {'online': BACKBONE_PREFIX, 'momentum': EMA_BACKBONE_PREFIX}[which]
    return OrderedDict((BACKBONE_PREFIX + k[len(src):], v)
                       for k, v in state_dict.items() if k.startswith(src))


def detect_format(state_dict: Dict[str, torch.Tensor]) -> str:
    """``'lightning'`` if any key belongs to the LightningModule, else
    ``'encoder'``."""
    lightning_roots = set(LIGHTNING_MODULES) | {'dummy_param', 'backbone'}
    if any(k.split('.', 1)[0] in lightning_roots for k in state_dict):
        return 'lightning'
    return 'encoder'


def convert_file(src: str,
                 dst: str,
                 which: str = 'online',
                 backbone_only: bool = False,
                 duplicate_source: Optional[str] = None,
                 ema_steps: int = 1) -> ConversionReport:
    """Convert ``src`` and save ``{'state_dict', 'meta'}`` to ``dst``.

    Args:
        src (str): Lightning ``.ckpt`` or encoder ``.pth``.
        dst (str): Output checkpoint.
        which (str): Encoder for ``backbone_only`` output of a Lightning
            checkpoint: ``'online'`` or ``'momentum'``. Defaults to
            ``'online'``.
        backbone_only (bool): Write only ``backbone.*`` from a Lightning
            checkpoint. Encoders always give ``backbone.*``.
        duplicate_source (str, optional): See
            :func:`convert_lightning_state_dict`.
        ema_steps (int): See :func:`convert_lightning_state_dict`.

    Returns:
        ConversionReport: What happened to every key.

    Raises:
        UnsafeCheckpointError: If ``src`` pickles objects that safe loading
            refuses (see :func:`~.loading.load_source`).
    """
    obj = load_source(src)
    sd = get_state_dict(obj, wrappers=('state_dict', ))
    fmt = detect_format(sd)
    if fmt == 'lightning':
        new_sd, report = convert_lightning_state_dict(
            sd, duplicate_source=duplicate_source, ema_steps=ema_steps)
        if backbone_only:
            new_sd = select_backbone(new_sd, which)
            report.notes.append(f'--backbone-only: kept the {which} encoder '
                                'as backbone.*, the rest is not written')
    else:
        if which != 'online':
            raise ValueError('an encoder file holds one encoder only; '
                             '--which applies to Lightning checkpoints')
        new_sd, report = convert_torchvision_encoder(sd)
        backbone_only = True
    meta = {
        'converted_from': osp.basename(src),
        'converter': 'tools/model_converters/selfdocseg_to_docseg.py',
        'source_format': fmt,
        'layout': 'backbone' if backbone_only else 'full',
        'which': which if backbone_only else 'both',
        'dropped': dict(report.dropped_by_reason()),
    }
    for k in ('epoch', 'global_step'):
        if isinstance(obj.get(k), int):
            meta[f'source_{k}'] = obj[k]
    torch.save({'state_dict': new_sd, 'meta': meta}, dst)
    return report


#: Prefix of each encoder in the SelfDocSeg model's state dict.
ENCODER_PREFIXES: Dict[str, str] = {
    'online': 'backbone.',
    'momentum': 'target_net.module.0.',
}


def export_encoder(state_dict: Dict[str, torch.Tensor],
                   which: str = 'online'
                   ) -> Tuple['OrderedDict[str, torch.Tensor]', int]:
    """Take one encoder out of a SelfDocSeg state dict and strip its prefix.

    Args:
        state_dict (dict): State dict of the docseg_mm SelfDocSeg model.
        which (str): ``'online'`` or ``'momentum'``. Defaults to
            ``'online'``.

    Returns:
        tuple[OrderedDict, int]: The encoder state dict with torchvision
        names, and the number of source tensors that were left out.

    Raises:
        ValueError: If ``which`` is unknown or no key has its prefix.
    """
    if which not in ENCODER_PREFIXES:
        raise ValueError(f'which must be one of {list(ENCODER_PREFIXES)}, '
                         f'got {which!r}')
    prefix = ENCODER_PREFIXES[which]
    encoder = OrderedDict((k[len(prefix):], v)
                          for k, v in state_dict.items()
                          if k.startswith(prefix))
    if not encoder:
        sample = list(state_dict)[:5]
        raise ValueError(f'no key starts with {prefix!r} (the {which} '
                         f'encoder); keys look like {sample}')
    # A classifier is not part of the encoder (mmpretrain's ResNet has none).
    for name in ('fc.weight', 'fc.bias'):
        encoder.pop(name, None)
    return encoder, len(state_dict) - len(encoder)


def export_file(src: str,
                dst: str,
                which: str = 'online',
                plain: bool = False) -> Tuple[int, int]:
    """Export the encoder of ``src`` to ``dst``.

    ``src`` is read with the allow-listing safe loader (an MMEngine training
    checkpoint with its message hub loads; other pickled objects are
    refused).

    Args:
        src (str): docseg_mm SelfDocSeg checkpoint.
        dst (str): Output file.
        which (str): ``'online'`` or ``'momentum'``. Defaults to
            ``'online'``.
        plain (bool): Save the bare state dict instead of
            ``{'state_dict': ..., 'meta': ...}``. Defaults to False.

    Returns:
        tuple[int, int]: Number of exported tensors and of left-out ones.
    """
    state_dict = get_state_dict(load_source(src), wrappers=('state_dict', ))
    encoder, left_out = export_encoder(state_dict, which)
    if plain:
        torch.save(encoder, dst)
    else:
        meta = {
            'exported_from': osp.basename(src),
            'exporter': 'tools/model_converters/selfdocseg_export_encoder.py',
            'which': which,
            'source_prefix': ENCODER_PREFIXES[which],
            'key_style': 'torchvision',
        }
        torch.save({'state_dict': encoder, 'meta': meta}, dst)
    return len(encoder), left_out
