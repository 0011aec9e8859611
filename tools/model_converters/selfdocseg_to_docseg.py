# Copyright (c) docseg_mm contributors. All rights reserved.
"""Convert original SelfDocSeg weights into docseg_mm checkpoints.

Two kinds of source file are understood (the kind is detected from the keys):

* **Lightning** — the ``.ckpt`` written by the original pre-training script
  (``pretraining/train_ssl.py``), a dict whose ``'state_dict'`` holds the
  981 tensors of the ``SelfDocSeg`` LightningModule. By default it becomes a
  checkpoint of the whole docseg_mm SelfDocSeg model (``backbone.*``,
  ``neck.*``, ``head.predictor.*``, ``layout_head.conv.*`` and the momentum
  branch ``target_net.*``). With ``--backbone-only`` only ``backbone.*`` is
  written, taken from the online (``--which online``) or the momentum
  (``--which momentum``) encoder.
* **Encoder** — a torchvision ResNet-50 ``.pth`` state dict, either as the
  broken ``extract_encoder.py`` leaves it (stray leading ``0.``:
  ``0.<i>.<rest>`` with ``nn.Sequential`` indices, or ``0.<tv-name>``) or
  with clean torchvision names (``conv1.weight``, ``layer1.0.conv1.weight``).
  The ImageNet classifier ``fc.*`` is dropped explicitly. It becomes a
  checkpoint with ``backbone.*`` keys.

Every source key is either mapped or listed as dropped together with the
reason; a key the converter does not know is an error.

Usage::

    python tools/model_converters/selfdocseg_to_docseg.py SRC DST \
        [--backbone-only] [--which online|momentum] \
        [--duplicate-source bb_feat|backbone] [--ema-steps N] [--unsafe-load]
"""
import argparse
import os.path as osp
import pickle
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch

#: A state dict (an ``OrderedDict`` in practice).
StateDict = Dict[str, torch.Tensor]

#: ``nn.Sequential(*resnet50().children())`` index -> torchvision name.
#: Indices 2 (ReLU), 3 (MaxPool) and 8 (Upsample) hold no tensors.
SEQ_TO_TORCHVISION: Dict[str, str] = {
    '0': 'conv1',
    '1': 'bn1',
    '4': 'layer1',
    '5': 'layer2',
    '6': 'layer3',
    '7': 'layer4',
}

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

_BN_TENSORS = ('weight', 'bias', 'running_mean', 'running_var',
               'num_batches_tracked')


def resnet50_param_shapes() -> 'OrderedDict[str, Tuple[int, ...]]':
    """Names and shapes of the tensors of a torchvision ResNet-50 (no ``fc``).

    These are also the names of mmpretrain's / mmdet's ``ResNet(depth=50)``
    with ``style='pytorch'``.

    Returns:
        OrderedDict[str, tuple]: ``name -> shape`` in ``state_dict`` order.
    """
    shapes: 'OrderedDict[str, Tuple[int, ...]]' = OrderedDict()

    def add_bn(name: str, channels: int) -> None:
        for t in _BN_TENSORS:
            shapes[f'{name}.{t}'] = () if t == 'num_batches_tracked' else (
                channels, )

    shapes['conv1.weight'] = (64, 3, 7, 7)
    add_bn('bn1', 64)
    in_ch = 64
    for stage, (blocks, planes) in enumerate(
            zip((3, 4, 6, 3), (64, 128, 256, 512)), start=1):
        for j in range(blocks):
            p = f'layer{stage}.{j}'
            block_in = in_ch if j == 0 else planes * 4
            shapes[f'{p}.conv1.weight'] = (planes, block_in, 1, 1)
            add_bn(f'{p}.bn1', planes)
            shapes[f'{p}.conv2.weight'] = (planes, planes, 3, 3)
            add_bn(f'{p}.bn2', planes)
            shapes[f'{p}.conv3.weight'] = (planes * 4, planes, 1, 1)
            add_bn(f'{p}.bn3', planes * 4)
            if j == 0:
                shapes[f'{p}.downsample.0.weight'] = (planes * 4, block_in, 1,
                                                      1)
                add_bn(f'{p}.downsample.1', planes * 4)
        in_ch = planes * 4
    return shapes


RESNET50_SHAPES = resnet50_param_shapes()


@dataclass
class ConversionReport:
    """What happened to every key of a conversion.

    Attributes:
        source_format (str): ``'lightning'`` or ``'encoder'``.
        mapped (dict): Source key -> target key.
        dropped (dict): Source key -> reason it is not in the output.
        added (dict): Target key not taken from the source -> reason.
        notes (list): Other remarks (duplicate check result, forms seen).
    """
    source_format: str
    mapped: Dict[str, str] = field(default_factory=dict)
    dropped: Dict[str, str] = field(default_factory=dict)
    added: Dict[str, str] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)

    def check_complete(self, source_keys: List[str]) -> None:
        """Make sure every source key was mapped or dropped, exactly once.

        Args:
            source_keys (list[str]): Keys of the source state dict.

        Raises:
            RuntimeError: If a key was neither mapped nor dropped, or both.
        """
        both = set(self.mapped) & set(self.dropped)
        missing = set(source_keys) - set(self.mapped) - set(self.dropped)
        extra = (set(self.mapped) | set(self.dropped)) - set(source_keys)
        if both or missing or extra:
            raise RuntimeError(
                'internal error: keys not accounted for exactly once: '
                f'both={sorted(both)[:5]} missing={sorted(missing)[:5]} '
                f'extra={sorted(extra)[:5]}')

    def dropped_by_reason(self) -> 'OrderedDict[str, List[str]]':
        """Group the dropped keys by reason."""
        groups: 'OrderedDict[str, List[str]]' = OrderedDict()
        for key, reason in self.dropped.items():
            groups.setdefault(reason, []).append(key)
        return groups

    def summary(self) -> str:
        """A human-readable multi-line summary."""
        lines = [
            f'source format : {self.source_format}',
            f'source tensors: {len(self.mapped) + len(self.dropped)}',
            f'mapped        : {len(self.mapped)}',
            f'dropped       : {len(self.dropped)}',
        ]
        prefixes: 'OrderedDict[str, int]' = OrderedDict()
        for dst in self.mapped.values():
            prefixes[_group_name(dst)] = prefixes.get(_group_name(dst), 0) + 1
        for name, count in prefixes.items():
            lines.append(f'  -> {name:<24s} {count:4d} tensors')
        for reason, keys in self.dropped_by_reason().items():
            shown = ', '.join(keys[:3]) + (', ...' if len(keys) > 3 else '')
            lines.append(f'  dropped {len(keys):4d} ({reason}): {shown}')
        for key, reason in self.added.items():
            lines.append(f'  added {key} ({reason})')
        for note in self.notes:
            lines.append(f'  note: {note}')
        return '\n'.join(lines)


def _group_name(key: str) -> str:
    """Coarse group of a target key for the summary."""
    for prefix in (EMA_BACKBONE_PREFIX, EMA_NECK_PREFIX, PREDICTOR_PREFIX,
                   LAYOUT_HEAD_PREFIX, BACKBONE_PREFIX, NECK_PREFIX):
        if key.startswith(prefix):
            return prefix + '*'
    return key


def _check_resnet_tensor(tv_name: str, tensor: torch.Tensor,
                         src_key: str) -> None:
    """Raise if ``tv_name`` is not a ResNet-50 tensor of the right shape."""
    if tv_name not in RESNET50_SHAPES:
        raise KeyError(f'unknown key {src_key!r}: {tv_name!r} is not a '
                       'tensor of a torchvision ResNet-50')
    expected = RESNET50_SHAPES[tv_name]
    if tuple(tensor.shape) != expected:
        raise ValueError(f'{src_key!r} has shape {tuple(tensor.shape)}, a '
                         f'ResNet-50 {tv_name!r} has {expected}')


def seq_to_torchvision(name: str) -> Optional[str]:
    """Rename ``<i>.<rest>`` (``nn.Sequential`` of ResNet children) to the
    torchvision name.

    Args:
        name (str): Key relative to the ``nn.Sequential``, e.g.
            ``'4.0.conv1.weight'``.

    Returns:
        str | None: E.g. ``'layer1.0.conv1.weight'``, or None if ``name`` does
        not start with a parameter-holding index or the result is not a
        ResNet-50 tensor name.
    """
    index, _, rest = name.partition('.')
    if index not in SEQ_TO_TORCHVISION or not rest:
        return None
    tv_name = f'{SEQ_TO_TORCHVISION[index]}.{rest}'
    return tv_name if tv_name in RESNET50_SHAPES else None


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
    report = ConversionReport('lightning')
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
            _check_resnet_tensor(tv, tensor, key)
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
            _check_resnet_tensor(tv, tensor, key)
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


def _resolve_encoder_key(key: str) -> Tuple[Optional[str], str]:
    """Find the torchvision name of an encoder key and the form it had.

    Returns:
        tuple[str | None, str]: ``(torchvision name or 'fc.*', form)``; the
        name is None if the key is not understood.
    """
    candidates = [(key, 'clean')]
    if key.startswith('0.'):
        candidates.insert(0, (key[2:], 'stray-0'))
    for name, form in candidates:
        if name in RESNET50_SHAPES or name in ('fc.weight', 'fc.bias'):
            return name, f'{form} torchvision'
        tv = seq_to_torchvision(name)
        if tv is not None:
            return tv, f'{form} sequential-index'
    return None, 'unknown'


def convert_torchvision_encoder(
        state_dict: Dict[str, torch.Tensor],
        prefix: str = BACKBONE_PREFIX) -> Tuple[StateDict, ConversionReport]:
    """Map a torchvision ResNet-50 encoder state dict to ``backbone.*``.

    Accepted key forms (they may not be mixed so that a tensor appears
    twice):

    * ``0.<i>.<rest>`` — ``nn.Sequential`` indices under the stray ``0.``
      of the original ``extract_encoder.py`` (``module.backbone``).
    * ``0.<tv-name>`` — torchvision names under the stray ``0.``.
    * ``<tv-name>`` — clean torchvision names; also ``<i>.<rest>``.
    * ``fc.weight`` / ``fc.bias`` (any form) — dropped explicitly.

    Args:
        state_dict (dict): The encoder state dict.
        prefix (str): Prefix of the output keys. Defaults to ``'backbone.'``.

    Returns:
        tuple[OrderedDict, ConversionReport]: New state dict and the report.

    Raises:
        KeyError: If a key is unknown or two keys give the same tensor.
        ValueError: If a shape is wrong or a ResNet-50 tensor is missing.
    """
    report = ConversionReport('encoder')
    found: Dict[str, str] = {}
    forms: Dict[str, int] = {}
    unknown: List[str] = []
    for key, tensor in state_dict.items():
        tv, form = _resolve_encoder_key(key)
        if tv is None:
            unknown.append(key)
            continue
        forms[form] = forms.get(form, 0) + 1
        if tv.startswith('fc.'):
            report.dropped[key] = ('ImageNet classifier, randomly initialised '
                                   'by extract_encoder.py; not part of the '
                                   'encoder')
            continue
        _check_resnet_tensor(tv, tensor, key)
        if tv in found:
            raise KeyError(f'{key!r} and {found[tv]!r} are both the tensor '
                           f'{tv!r}; the file mixes key forms')
        found[tv] = key
    if unknown:
        raise KeyError(f'{len(unknown)} unknown key(s) in the encoder state '
                       f'dict: {unknown[:10]}')
    missing = [tv for tv in RESNET50_SHAPES if tv not in found]
    if missing:
        raise ValueError(f'{len(missing)} ResNet-50 tensor(s) are missing '
                         f'from the encoder, e.g. {missing[:5]}')
    out: StateDict = OrderedDict()
    for tv in RESNET50_SHAPES:
        out[prefix + tv] = state_dict[found[tv]]
        report.mapped[found[tv]] = prefix + tv
    report.notes.append('key forms: ' + ', '.join(
        f'{n} {f}' for f, n in sorted(forms.items())))
    report.check_complete(list(state_dict))
    return out, report


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


def load_source(path: str, unsafe_load: bool = False) -> dict:
    """Read a ``.ckpt`` / ``.pth`` file with ``weights_only=True``.

    Args:
        path (str): The file.
        unsafe_load (bool): Use ``weights_only=False``. This can run arbitrary
            code from the file: only for files you trust. Defaults to False.

    Returns:
        dict: The loaded object.

    Raises:
        RuntimeError: If safe loading fails, with what to do about it.
    """
    if unsafe_load:
        return torch.load(path, map_location='cpu', weights_only=False)
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as e:
        offending = ''
        try:
            names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
            offending = f' It references non-allow-listed objects: {names}.'
        except Exception:  # noqa: BLE001 - only used to improve the message
            pass
        raise RuntimeError(
            f'{path} cannot be loaded with torch.load(weights_only=True).'
            f'{offending} A Lightning .ckpt may pickle objects besides '
            'tensors (hyper-parameters, callback states). Re-save just the '
            'weights in the environment that wrote it, e.g. '
            '`ck = torch.load(SRC, weights_only=False); '
            "torch.save({'state_dict': ck['state_dict']}, NEW)`, or, only "
            'if you trust the file, pass --unsafe-load.') from e


def get_state_dict(obj: dict) -> Dict[str, torch.Tensor]:
    """Return ``obj['state_dict']`` if present, else ``obj`` itself."""
    if not isinstance(obj, dict):
        raise TypeError(f'expected a dict in the checkpoint, got {type(obj)}')
    sd = obj.get('state_dict', obj)
    bad = [k for k, v in sd.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise TypeError(f'non-tensor entries in the state dict: {bad[:5]}')
    return sd


def convert_file(src: str,
                 dst: str,
                 which: str = 'online',
                 backbone_only: bool = False,
                 duplicate_source: Optional[str] = None,
                 ema_steps: int = 1,
                 unsafe_load: bool = False) -> ConversionReport:
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
        unsafe_load (bool): See :func:`load_source`.

    Returns:
        ConversionReport: What happened to every key.
    """
    obj = load_source(src, unsafe_load=unsafe_load)
    sd = get_state_dict(obj)
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


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert original SelfDocSeg weights (Lightning .ckpt or '
        'extracted torchvision ResNet-50 .pth) to a docseg_mm checkpoint.')
    parser.add_argument('src', help='Lightning .ckpt or encoder .pth')
    parser.add_argument('dst', help='output docseg_mm checkpoint (.pth)')
    parser.add_argument(
        '--which', choices=('online', 'momentum'), default='online',
        help='encoder written as backbone.* with --backbone-only '
        '(Lightning checkpoints only)')
    parser.add_argument(
        '--backbone-only', action='store_true',
        help='write only backbone.* from a Lightning checkpoint (default: '
        'the whole SelfDocSeg model incl. the momentum branch)')
    parser.add_argument(
        '--duplicate-source', choices=('bb_feat', 'backbone'), default=None,
        help='which copy of the online encoder to keep if bb_feat.* and '
        'backbone.0.* differ (default: error)')
    parser.add_argument(
        '--ema-steps', type=int, default=1,
        help='value of target_net.steps (>= 1 keeps the momentum branch at '
        'the first EMA update; 0 re-copies it from the online branch)')
    parser.add_argument(
        '--unsafe-load', action='store_true',
        help='load SRC with weights_only=False. This can execute arbitrary '
        'code: ONLY for files you trust')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    report = convert_file(
        args.src,
        args.dst,
        which=args.which,
        backbone_only=args.backbone_only,
        duplicate_source=args.duplicate_source,
        ema_steps=args.ema_steps,
        unsafe_load=args.unsafe_load)
    print(report.summary())
    print(f'saved to {args.dst}')


if __name__ == '__main__':
    main()
