# Copyright (c) docseg_mm contributors. All rights reserved.
"""SLRNet checkpoints and WideResNet-38 ImageNet weights -> docseg_mm.

Released SLRNet checkpoints (``checkpoint{i}.pth.tar``) are
``{'state_dict', 'epoch', 'optimizer'}`` with ``model.module.state_dict()``:
449 tensors, 321 of them unique. The others are aliases the original
registers twice: ``backbone.fixed_layers.{0..3}`` (= ``conv1a``, ``b2``,
``b2_1``, ``b2_2``) and ``newly_added.{0,1,3,4,5,6,8}`` (= ``aspp``,
``shallow_mask``, ``fc8_skip``, ``fc8_x``, ``last_conv``,
``factorization_reconstruction``, ``aux_head``); they are checked equal to
their named tensor and dropped. The three constant PAMR kernels
(``_aff.*.kernel``) are dropped: :func:`docseg_mm.models.utils.pamr`
computes the shifts directly.

SLRNet -> docseg_mm (``SLRNet`` + ``SLRHead``, head keys under
``decode_head.``):

* ``backbone.X`` -> ``backbone.X`` (same names);
* ``aspp.aspp{i}.atrous_conv`` / ``.bn`` -> ``aspp_modules.{i-1}.conv`` /
  ``.bn``; ``aspp.global_avg_pool.{1,2}`` -> ``image_pool.1.{conv,bn}``;
  ``aspp.conv1`` / ``aspp.bn1`` -> ``bottleneck.{conv,bn}``;
* ``fc8_skip.{0,1}`` -> ``skip_proj.{conv,bn}``; ``fc8_x.{0,1}`` ->
  ``fuse.{conv,bn}``;
* ``shallow_mask.fc_deep`` / ``fc_skip`` / ``fc_cls`` ->
  ``gci.deep_proj`` / ``gci.skip_proj`` + ``gci.skip_norm`` /
  ``gci.out_proj``;
* ``last_conv.{0,1,4,5}`` -> ``seg_convs.{0,2}.{conv,bn}``;
  ``last_conv.8`` -> ``conv_seg``;
* ``aux_head.{0,1}`` -> ``aux_convs.0.{conv,bn}``; ``aux_head.4`` ->
  ``aux_seg``;
* ``factorization_reconstruction.transform{1,2}`` ->
  ``cvlr.{in,out}_proj``.

The WideResNet-38 ImageNet file ``ilsvrc-cls_rna-a1_cls1000_ep-0001.pth``
(MXNet weights converted by PSA's ``convert_mxnet_to_torch``) uses the
backbone's own names (``conv1a.weight``, ``b2.bn_branch2a.running_mean``,
... ``bn7.*``); :func:`convert_wrn38_imagenet` also accepts the raw MXNet
names (``res2a_branch1_weight``, ``bn2b1_branch2a_moving_mean``, ...) and
drops the ``linear1000`` classifier.
"""
import re
from collections import OrderedDict
from typing import Dict, Optional, Tuple

import torch

from .report import ConversionReport

StateDict = Dict[str, torch.Tensor]

#: ``newly_added`` index -> module name in the original ``Net``.
NEWLY_ADDED = {0: 'aspp', 1: 'shallow_mask', 3: 'fc8_skip', 4: 'fc8_x',
               5: 'last_conv', 6: 'factorization_reconstruction',
               8: 'aux_head'}
#: ``backbone.fixed_layers`` index -> backbone unit.
FIXED_LAYERS = {0: 'conv1a', 1: 'b2', 2: 'b2_1', 3: 'b2_2'}
_BN = r'(weight|bias|running_mean|running_var|num_batches_tracked)'
#: (source regex, target template) for the head, tried in order.
HEAD_RULES = [
    (r'aspp\.aspp(\d)\.atrous_conv\.weight',
     lambda m: f'aspp_modules.{int(m[1]) - 1}.conv.weight'),
    (r'aspp\.aspp(\d)\.bn\.' + _BN,
     lambda m: f'aspp_modules.{int(m[1]) - 1}.bn.{m[2]}'),
    (r'aspp\.global_avg_pool\.1\.weight',
     lambda m: 'image_pool.1.conv.weight'),
    (r'aspp\.global_avg_pool\.2\.' + _BN, lambda m: f'image_pool.1.bn.{m[1]}'),
    (r'aspp\.conv1\.weight', lambda m: 'bottleneck.conv.weight'),
    (r'aspp\.bn1\.' + _BN, lambda m: f'bottleneck.bn.{m[1]}'),
    (r'fc8_skip\.0\.weight', lambda m: 'skip_proj.conv.weight'),
    (r'fc8_skip\.1\.' + _BN, lambda m: f'skip_proj.bn.{m[1]}'),
    (r'fc8_x\.0\.weight', lambda m: 'fuse.conv.weight'),
    (r'fc8_x\.1\.' + _BN, lambda m: f'fuse.bn.{m[1]}'),
    (r'shallow_mask\.fc_deep\.0\.weight',
     lambda m: 'gci.deep_proj.conv.weight'),
    (r'shallow_mask\.fc_deep\.1\.' + _BN,
     lambda m: f'gci.deep_proj.bn.{m[1]}'),
    (r'shallow_mask\.fc_skip\.0\.weight', lambda m: 'gci.skip_proj.weight'),
    (r'shallow_mask\.fc_skip\.1\.' + _BN, lambda m: f'gci.skip_norm.{m[1]}'),
    (r'shallow_mask\.fc_cls\.0\.weight', lambda m: 'gci.out_proj.conv.weight'),
    (r'shallow_mask\.fc_cls\.1\.' + _BN, lambda m: f'gci.out_proj.bn.{m[1]}'),
    (r'last_conv\.([04])\.weight',
     lambda m: f'seg_convs.{int(m[1]) // 2}.conv.weight'),
    (r'last_conv\.([15])\.' + _BN,
     lambda m: f'seg_convs.{int(m[1]) // 2}.bn.{m[2]}'),
    (r'last_conv\.8\.(weight|bias)', lambda m: f'conv_seg.{m[1]}'),
    (r'aux_head\.0\.weight', lambda m: 'aux_convs.0.conv.weight'),
    (r'aux_head\.1\.' + _BN, lambda m: f'aux_convs.0.bn.{m[1]}'),
    (r'aux_head\.4\.(weight|bias)', lambda m: f'aux_seg.{m[1]}'),
    (r'factorization_reconstruction\.transform([12])\.(weight|bias)',
     lambda m: f"cvlr.{'in' if m[1] == '1' else 'out'}_proj.{m[2]}"),
]


def _alias_of(key: str) -> Optional[str]:
    """The named key an alias key duplicates, or None."""
    m = re.match(r'newly_added\.(\d+)\.(.+)', key)
    if m and int(m[1]) in NEWLY_ADDED:
        return f'{NEWLY_ADDED[int(m[1])]}.{m[2]}'
    m = re.match(r'backbone\.fixed_layers\.(\d+)\.(.+)', key)
    if m and int(m[1]) in FIXED_LAYERS:
        return f'backbone.{FIXED_LAYERS[int(m[1])]}.{m[2]}'
    return None


def _head_key(key: str) -> Optional[str]:
    for pattern, target in HEAD_RULES:
        m = re.fullmatch(pattern, key)
        if m:
            return 'decode_head.' + target(m)
    return None


def convert_slrnet(src: StateDict) -> Tuple[StateDict, ConversionReport]:
    """Convert a released SLRNet state dict (any of the three settings).

    Args:
        src (dict): ``state_dict`` of an SLRNet checkpoint (``module.``
            prefixes of a DataParallel save are stripped).

    Returns:
        tuple: The docseg_mm state dict (for :class:`SLRNet` with a
        :class:`WideResNet38` backbone and :class:`SLRHead`) and the report.

    Raises:
        KeyError: If a key is unknown or an alias has no named key.
        ValueError: If an alias differs from its named tensor.
    """
    src = OrderedDict((k[7:] if k.startswith('module.') else k, v)
                      for k, v in src.items())
    report = ConversionReport(
        'slrnet', group_of=lambda k: '.'.join(k.split('.')[:2]) + '.*')
    out: StateDict = OrderedDict()
    for key, value in src.items():
        alias = _alias_of(key)
        if alias is not None:
            if alias not in src:
                raise KeyError(f'{key} is an alias of {alias}, which is '
                               'missing from the checkpoint')
            if not torch.equal(value, src[alias]):
                raise ValueError(f'{key} differs from {alias}, whose alias '
                                 'it should be')
            report.dropped[key] = 'alias of a named module (same tensor)'
            continue
        if key.startswith('_aff.'):
            report.dropped[key] = 'constant PAMR shift kernel (recomputed)'
            continue
        dst = key if key.startswith('backbone.') else _head_key(key)
        if dst is None:
            raise KeyError(f'unknown SLRNet key {key!r}')
        out[dst] = value
        report.mapped[key] = dst
    report.check_complete(src)
    seg = out.get('decode_head.conv_seg.weight')
    if seg is not None:
        report.notes.append(
            f'conv_seg has {seg.shape[0]} channels: SLRHead(num_classes=C, '
            'constant_bg=True) for C - 1 channels (WSSS, semi with image '
            'labels), constant_bg=False for C (semi without image labels)')
    return out, report


_MX_BN = {'beta': 'bias', 'gamma': 'weight', 'mean': 'running_mean',
          'var': 'running_var'}


def mxnet_wrn38_name(key: str) -> Optional[str]:
    """Backbone name of a raw MXNet WideResNet-38 parameter name (PSA's
    ``convert_mxnet_to_torch`` rules); None for the ``linear1000``
    classifier."""
    key = key.split(':', 1)[-1]  # 'arg:' / 'aux:' prefixes
    toks = key.split('_')
    if 'conv1a' in toks[0]:
        return 'conv1a.weight'
    if 'linear1000' in toks[0]:
        return None
    if len(toks) > 1 and 'branch' in toks[1]:
        unit = ('b' + toks[0][-3] + '_' + toks[0][-1]
                if toks[0][-1] != 'a' else 'b' + toks[0][-2])
        if 'res' in toks[0]:
            return f'{unit}.conv_{toks[1]}.weight'
        return f'{unit}.bn_{toks[1]}.{_MX_BN[toks[-1]]}'
    return f'bn7.{_MX_BN[toks[-1]]}'


def convert_wrn38_imagenet(
        src: StateDict,
        prefix: str = '') -> Tuple[StateDict, ConversionReport]:
    """WideResNet-38 ImageNet weights -> :class:`WideResNet38` names.

    Args:
        src (dict): The ``ilsvrc-cls_rna-a1_cls1000_ep-0001.pth`` state dict
            (backbone names) or one with raw MXNet names.
        prefix (str): Prepended to every output key (``'backbone.'`` for a
            whole-model checkpoint). Defaults to ''.

    Returns:
        tuple: State dict and report.
    """
    from docseg_mm.models.backbones import WideResNet38
    expected = WideResNet38(frozen_units=()).state_dict()
    report = ConversionReport('wrn38_imagenet')
    out: StateDict = OrderedDict()
    for key, value in src.items():
        name = key if key in expected else None
        if name is None and ('_' in key and '.' not in key):
            name = mxnet_wrn38_name(key)
            if name is None:
                report.dropped[key] = 'ImageNet classifier (linear1000)'
                continue
        if name is None or name not in expected:
            raise KeyError(f'unknown WideResNet-38 key {key!r}')
        if tuple(value.shape) != tuple(expected[name].shape):
            raise ValueError(f'{key}: shape {tuple(value.shape)}, '
                             f'expected {tuple(expected[name].shape)}')
        out[prefix + name] = value
        report.mapped[key] = prefix + name
    report.check_complete(src)
    missing = [k for k in expected
               if prefix + k not in out and 'num_batches' not in k]
    if missing:
        report.notes.append(f'{len(missing)} backbone tensors not in the '
                            f'file: {missing[:3]}')
    return out, report


def convert_file(src: str, dst: str,
                 wrn38_imagenet: bool = False) -> ConversionReport:
    """Convert a released SLRNet checkpoint (or, with ``wrn38_imagenet``,
    the WideResNet-38 ImageNet file, written under ``backbone.``) and save
    ``{'state_dict', 'meta'}`` for ``load_from`` / ``init_cfg``.

    The source is read with safe loading (:func:`load_source`); a file that
    pickles anything besides tensors is refused with the list of objects.
    """
    import os
    import os.path as osp

    from .loading import get_state_dict, load_source
    state = get_state_dict(load_source(src))
    if wrn38_imagenet:
        out, report = convert_wrn38_imagenet(state, prefix='backbone.')
    else:
        out, report = convert_slrnet(state)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    torch.save(dict(state_dict=out, meta=dict(
        source=osp.basename(src), converter=report.source_format)), dst)
    return report
