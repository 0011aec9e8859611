# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tensor layout of a torchvision ResNet-50 and encoder-file conversion.

torchvision's ``resnet50()`` names (``conv1.weight``, ``layer1.0.conv1.weight``,
``layer1.0.downsample.0.weight`` ...) are also those of mmpretrain's and
mmdet's ``ResNet(depth=50, style='pytorch')``, so a torchvision encoder maps
onto ``backbone.*`` by name. Original repositories often save the encoder as
``nn.Sequential(*resnet.children())`` (``<i>.<rest>`` keys); those indices
are translated back here.
"""
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch

from .report import ConversionReport

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


def check_resnet_tensor(tv_name: str, tensor: torch.Tensor,
                         src_key: str) -> None:
    """Raise if ``tv_name`` is not a ResNet-50 tensor of the right shape.

    Args:
        tv_name (str): torchvision name, e.g. ``'layer1.0.conv1.weight'``.
        tensor (torch.Tensor): The tensor.
        src_key (str): Its key in the source, for messages.

    Raises:
        KeyError: If ``tv_name`` is not a ResNet-50 tensor.
        ValueError: If the shape differs.
    """
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
        prefix: str = 'backbone.') -> Tuple[StateDict, ConversionReport]:
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
    report = ConversionReport('encoder', group_of=lambda key: prefix + '*')
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
        check_resnet_tensor(tv, tensor, key)
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
