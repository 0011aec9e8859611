# Copyright (c) docseg_mm contributors. All rights reserved.
"""SLRNet converter on a synthetic state dict with exactly the released keys
and shapes (``tests/data/checkpoint_keys/slrnet_*_state_dict_keys.txt``,
dumped from the original ``models/slrnet.py``), checked against a reference
forward of the original network written here with functional ops on the
*source* keys."""
import os.path as osp
import re

import pytest
import torch
import torch.nn.functional as F

from docseg_mm.models.converters.slrnet import (convert_slrnet,
                                                convert_wrn38_imagenet,
                                                mxnet_wrn38_name)
from docseg_mm.registry import MODELS
from docseg_mm.utils import register_all_modules

KEY_DIR = osp.join(osp.dirname(__file__), '..', '..', 'data',
                   'checkpoint_keys')


def _shapes(name):
    out = {}
    with open(osp.join(KEY_DIR, name)) as f:
        for line in f:
            key, shape = line.rstrip('\n').split('\t')
            out[key] = tuple(int(s) for s in re.findall(r'\d+', shape))
    return out


def _alias_target(key):
    m = re.match(r'newly_added\.(\d+)\.(.+)', key)
    if m:
        names = {0: 'aspp', 1: 'shallow_mask', 3: 'fc8_skip', 4: 'fc8_x',
                 5: 'last_conv', 6: 'factorization_reconstruction',
                 8: 'aux_head'}
        return f'{names[int(m[1])]}.{m[2]}'
    m = re.match(r'backbone\.fixed_layers\.(\d+)\.(.+)', key)
    if m:
        units = ['conv1a', 'b2', 'b2_1', 'b2_2']
        return f'backbone.{units[int(m[1])]}.{m[2]}'
    return None


def synthetic_checkpoint(name, seed=0):
    """Random tensors with the released keys / shapes; aliases share the
    named tensor (as in a saved checkpoint); BN statistics are plausible."""
    g = torch.Generator().manual_seed(seed)
    sd = {}
    shapes = _shapes(name)
    for key, shape in shapes.items():
        if _alias_target(key) is not None:
            continue
        if key.endswith('num_batches_tracked'):
            sd[key] = torch.tensor(7)
        elif key.endswith('running_var'):
            sd[key] = torch.rand(shape, generator=g) + 0.5
        elif key.endswith('kernel'):
            sd[key] = torch.zeros(shape)
        elif len(shape) == 1:
            base = 1. if key.endswith('weight') else 0.
            sd[key] = base + 0.1 * torch.randn(shape, generator=g)
        else:
            fan_in = max(1, int(torch.tensor(shape[1:]).prod()))
            sd[key] = torch.randn(shape, generator=g) * (1. / fan_in) ** 0.5
    for key in shapes:
        target = _alias_target(key)
        if target is not None:
            sd[key] = sd[target]
    return {k: sd[k] for k in shapes}


# ---------------------------------------------- reference (original) net
def _bn(sd, p, x):
    return F.batch_norm(x, sd[p + '.running_mean'], sd[p + '.running_var'],
                        sd.get(p + '.weight'), sd.get(p + '.bias'), False,
                        0., 1e-5)


def _resblock(sd, p, x, stride=1, dil=1, first_dil=None):
    first_dil = dil if first_dil is None else first_dil
    pre = F.relu(_bn(sd, p + '.bn_branch2a', x))
    short = F.conv2d(pre, sd[p + '.conv_branch1.weight'], stride=stride) \
        if p + '.conv_branch1.weight' in sd else x
    y = F.conv2d(pre, sd[p + '.conv_branch2a.weight'], stride=stride,
                 padding=first_dil, dilation=first_dil)
    y = F.relu(_bn(sd, p + '.bn_branch2b1', y))
    return short + F.conv2d(y, sd[p + '.conv_branch2b1.weight'],
                            padding=dil, dilation=dil)


def _bottleneck(sd, p, x, dil):
    pre = F.relu(_bn(sd, p + '.bn_branch2a', x))
    short = F.conv2d(pre, sd[p + '.conv_branch1.weight'])
    y = F.relu(_bn(sd, p + '.bn_branch2b1',
                   F.conv2d(pre, sd[p + '.conv_branch2a.weight'])))
    y = F.conv2d(y, sd[p + '.conv_branch2b1.weight'], padding=dil,
                 dilation=dil)
    y = F.relu(_bn(sd, p + '.bn_branch2b2', y))
    return short + F.conv2d(y, sd[p + '.conv_branch2b2.weight'])


def _cbr(sd, conv, bn, x, **kw):
    return F.relu(_bn(sd, bn, F.conv2d(x, sd[conv + '.weight'], **kw)))


def reference_forward(sd, x):
    """Original ``Net.forward(x, single_scale=True)`` in eval mode, before
    the final upsampling: (cls logits, masks at stride 4)."""
    b = 'backbone.'
    y = F.conv2d(x, sd[b + 'conv1a.weight'], padding=1)
    y = _resblock(sd, b + 'b2', y, stride=2)
    y = _resblock(sd, b + 'b2_1', y)
    y = _resblock(sd, b + 'b2_2', y)
    y = _resblock(sd, b + 'b3', y, stride=2)
    y = _resblock(sd, b + 'b3_1', y)
    conv3 = y = _resblock(sd, b + 'b3_2', y)
    y = _resblock(sd, b + 'b4', y, stride=2)
    for i in range(1, 6):
        y = _resblock(sd, b + f'b4_{i}', y)
    y = _resblock(sd, b + 'b5', y, dil=2, first_dil=1)
    y = _resblock(sd, b + 'b5_1', y, dil=2)
    y = _resblock(sd, b + 'b5_2', y, dil=2)
    y = _bottleneck(sd, b + 'b6', y, 4)
    y = _bottleneck(sd, b + 'b7', y, 4)
    deep = F.relu(_bn(sd, b + 'bn7', y))
    # ASPP
    outs = []
    for i, d in zip(range(1, 5), (1, 12, 24, 36)):
        kw = {} if d == 1 else dict(padding=d, dilation=d)
        outs.append(_cbr(sd, f'aspp.aspp{i}.atrous_conv', f'aspp.aspp{i}.bn',
                         deep, **kw))
    pool = _cbr(sd, 'aspp.global_avg_pool.1', 'aspp.global_avg_pool.2',
                deep.mean((2, 3), keepdim=True))
    outs.append(pool.expand(-1, -1, *deep.shape[2:]))
    a = _cbr(sd, 'aspp.conv1', 'aspp.bn1', torch.cat(outs, 1))
    skip = _cbr(sd, 'fc8_skip.0', 'fc8_skip.1', conv3)
    a = F.interpolate(a, skip.shape[2:], mode='bilinear', align_corners=True)
    x4 = _cbr(sd, 'fc8_x.0', 'fc8_x.1', torch.cat([a, skip], 1), padding=1)
    # aux head, dictionary, CVLR
    aux = _cbr(sd, 'aux_head.0', 'aux_head.1', x4, padding=1)
    aux = F.conv2d(aux, sd['aux_head.4.weight'], sd['aux_head.4.bias'])
    aux = torch.cat([1 - aux.max(1, keepdim=True)[0], aux], 1)
    B, C, H, W = x4.shape
    X = x4.flatten(2)                                   # (B, C, N)
    P = aux.flatten(2).softmax(1)
    P = P / (P.sum(-1, keepdim=True) + 1e-6)
    D0 = (X @ P.transpose(1, 2)).transpose(1, 2)        # (B, K, C)
    W1, b1 = (sd['factorization_reconstruction.transform1.' + n]
              for n in ('weight', 'bias'))
    W2, b2 = (sd['factorization_reconstruction.transform2.' + n]
              for n in ('weight', 'bias'))
    T = X.transpose(1, 2)
    Xp = T @ W1.T + b1
    D = D0 @ W1.T + b1
    D = D / (1e-6 + D.norm(dim=-1, keepdim=True))
    Z = (D @ Xp.transpose(1, 2)).softmax(1)
    A = (Z + 1e-6) / (Z + 1e-6).sum(-1, keepdim=True)
    D = A @ Xp
    D = D / (1e-6 + D.norm(dim=-1, keepdim=True))
    R = F.relu(Z.transpose(1, 2) @ D)
    x4 = F.relu(T + R @ W2.T + b2).transpose(1, 2).reshape(B, C, H, W)
    # segmentation head: GCI + stochastic gate (test mix) + last_conv
    g = _cbr(sd, 'shallow_mask.fc_deep.0', 'shallow_mask.fc_deep.1', x4)
    attrs = g.flatten(2).max(-1)[0]
    gamma, beta = attrs[:, :C, None, None], attrs[:, C:, None, None]
    s = _bn(sd, 'shallow_mask.fc_skip.1',
            F.conv2d(conv3, sd['shallow_mask.fc_skip.0.weight']))
    s = F.relu(s * (gamma + 1) + beta)
    s = _cbr(sd, 'shallow_mask.fc_cls.0', 'shallow_mask.fc_cls.1', s)
    y = 0.7 * x4 + 0.3 * s
    y = _cbr(sd, 'last_conv.0', 'last_conv.1', y, padding=1)
    y = _cbr(sd, 'last_conv.4', 'last_conv.5', y, padding=1)
    y = F.conv2d(y, sd['last_conv.8.weight'], sd['last_conv.8.bias'])
    logits = torch.cat([torch.ones_like(y[:, :1]), y], 1)
    masks = logits.softmax(1)
    m = masks.flatten(2)
    cls = (logits.flatten(2) * m).sum(-1) / (1 + m.sum(-1))
    cls = cls + (1 - m.mean(-1)) ** 3 * torch.log(0.01 + m.mean(-1))
    return cls[:, 1:], masks


@pytest.fixture(scope='module')
def released():
    return synthetic_checkpoint('slrnet_wsss_state_dict_keys.txt')


def test_every_key_accounted_for(released):
    assert len(released) == 449
    out, report = convert_slrnet(released)
    assert len(report.mapped) + len(report.dropped) == 449
    assert len(report.mapped) == 318 and len(out) == 318
    reasons = report.dropped_by_reason()
    assert len(reasons['alias of a named module (same tensor)']) == 128
    assert len(reasons['constant PAMR shift kernel (recomputed)']) == 3
    for src, dst in report.mapped.items():
        assert out[dst] is released[src]


def test_alias_mismatch_is_an_error(released):
    bad = dict(released)
    bad['newly_added.8.4.bias'] = bad['aux_head.4.bias'] + 1
    with pytest.raises(ValueError, match='newly_added.8.4.bias'):
        convert_slrnet(bad)
    with pytest.raises(KeyError, match='mystery'):
        convert_slrnet(dict(released, mystery=torch.zeros(1)))


def test_converted_model_matches_reference_forward(released):
    register_all_modules()
    out, _ = convert_slrnet({'module.' + k: v for k, v in released.items()})
    model = MODELS.build(dict(
        type='SLRNet', backbone=dict(type='WideResNet38'),
        decode_head=dict(type='SLRHead', num_classes=21),
        test_cfg=dict(mode='whole')))
    model.load_state_dict(out, strict=True)
    model.eval()
    x = torch.randn(1, 3, 40, 40, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        _, masks, cls = model.decode_head.forward_single(
            model.extract_feat(x))
        ref_cls, ref_masks = reference_forward(released, x)
    assert ref_masks.std() > 1e-3  # not a degenerate comparison
    torch.testing.assert_close(masks, ref_masks, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(cls, ref_cls, rtol=1e-4, atol=1e-4)


def test_semi_without_image_labels_layout():
    sd = synthetic_checkpoint('slrnet_semi_wo_cls_state_dict_keys.txt', 3)
    out, report = convert_slrnet(sd)
    assert out['decode_head.conv_seg.weight'].shape[0] == 21
    assert out['decode_head.aux_seg.bias'].shape == (21, )
    assert 'constant_bg=False' in report.summary()


def test_wrn38_imagenet_names():
    assert mxnet_wrn38_name('arg:res2a_branch1_weight') == \
        'b2.conv_branch1.weight'
    assert mxnet_wrn38_name('aux:bn4b3_branch2a_moving_mean') == \
        'b4_3.bn_branch2a.running_mean'
    assert mxnet_wrn38_name('arg:bn7_gamma') == 'bn7.weight'
    assert mxnet_wrn38_name('arg:linear1000_weight') is None
    shapes = {k[len('backbone.'):]: v for k, v in _shapes(
        'slrnet_wsss_state_dict_keys.txt').items()
        if k.startswith('backbone.') and 'fixed_layers' not in k
        and 'num_batches' not in k}
    src = {k: torch.zeros(s) for k, s in shapes.items()}
    src['arg:linear1000_weight'] = torch.zeros(1000, 4096)
    out, report = convert_wrn38_imagenet(src, prefix='backbone.')
    assert len(out) == len(shapes) == 191
    from docseg_mm.models.backbones import WideResNet38
    missing, unexpected = WideResNet38().load_state_dict(
        {k[len('backbone.'):]: v for k, v in out.items()}, strict=False)
    assert not unexpected and all('num_batches' in k for k in missing)
    assert report.dropped == {
        'arg:linear1000_weight': 'ImageNet classifier (linear1000)'}
    with pytest.raises(ValueError, match='bn7.weight'):
        convert_wrn38_imagenet({'bn7.weight': torch.zeros(3)})
