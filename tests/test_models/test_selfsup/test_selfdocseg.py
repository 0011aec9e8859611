# Copyright (c) docseg_mm contributors. All rights reserved.
import copy
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from docseg_mm.models import LayoutMaskHead, SelfDocSeg, masked_average_pool


class TupleIdentity(nn.Module):
    """A neck/predictor that passes features through (tuple in, tuple out)."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x


class ConvBackbone(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, stride=2, padding=1)

    def forward(self, x):
        return (self.conv(x), )


class NegCosHead(nn.Module):

    def __init__(self):
        super().__init__()
        self.predictor = TupleIdentity()

    def loss(self, x, target):
        return -F.cosine_similarity(x, target.detach(), dim=1).mean()


def sample(objects, layout):
    s = DataSample()
    s.set_field(objects, 'object_masks', field_type='data')
    s.set_field(layout, 'layout_mask', field_type='data')
    return s


def simple_model(**kwargs):
    torch.manual_seed(0)
    return SelfDocSeg(
        backbone=ConvBackbone(), neck=TupleIdentity(), head=NegCosHead(),
        layout_head=LayoutMaskHead(in_channels=12), feat_upsample=1,
        data_preprocessor=dict(type='mmpretrain.SelfSupDataPreprocessor'),
        **kwargs)


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('docseg_mm')


def test_masked_average_pool_by_hand():
    feats = torch.arange(2 * 2 * 3, dtype=torch.float32).view(2, 2, 3)
    masks = torch.tensor([[[1, 0, 0], [0, 0, 1]], [[0, 0, 0], [0, 1, 0]]])
    out = masked_average_pool(feats, masks)
    # object 0: positions (0,0) and (1,2); object 1: position (1,1)
    expected = torch.tensor([[(0 + 5) / 2, (6 + 11) / 2], [4., 10.]])
    torch.testing.assert_close(out, expected)


def test_losses_equal_independent_computation():
    model = simple_model()
    views = [torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)]
    obj = torch.zeros(3, 4, 4)
    obj[0, :2, :2] = 1
    obj[1, 2:, 1:] = 1
    obj[2, 0, 3] = 1  # a one-pixel object
    obj_v2 = obj.clone()
    obj_v2[2] = 0  # object 2 is cropped away in view 2: it must be dropped
    layout = (obj.sum(0) > 0).float()
    samples = [sample([obj, obj_v2], layout),
               sample([obj, obj.clone()], layout)]
    losses = model.loss(views, samples)

    conv = copy.deepcopy(model.backbone.conv)
    f = [conv(v).detach() for v in views]  # target == online at step 0
    pairs = []
    for b, kept in ((0, 2), (1, 3)):
        for k in range(kept):
            y = [(f[v][b] * [obj, obj_v2 if b == 0 else obj][v][k]).sum((1, 2))
                 / [obj, obj_v2 if b == 0 else obj][v][k].sum()
                 for v in range(2)]
            pairs.append(y)
    cos12 = torch.stack([F.cosine_similarity(a, b, dim=0) for a, b in pairs])
    expected_sim = 0.5 * (-cos12.mean() - cos12.mean())
    assert losses['loss_sim'].item() == pytest.approx(expected_sim.item(),
                                                      rel=1e-5)

    logits = model.layout_head(torch.cat(f, 1))
    p = logits.sigmoid()
    t = layout.expand(2, 1, 4, 4)
    ce = -(t * p.log() + (1 - t) * (1 - p).log())
    p_t = p * t + (1 - p) * (1 - t)
    a_t = 0.25 * t + 0.75 * (1 - t)
    expected_layout = (a_t * (1 - p_t)**2 * ce).mean()
    assert losses['loss_layout'].item() == pytest.approx(
        expected_layout.item(), rel=1e-5)


def test_ema_update_follows_formula():
    model = simple_model(base_momentum=0.01)
    online = nn.Sequential(model.backbone, model.neck)
    model.target_net.update_parameters(online)  # first call copies
    w_target = model.target_net.module[0].conv.weight.detach().clone()
    with torch.no_grad():
        model.backbone.conv.weight.add_(1.0)
    w_online = model.backbone.conv.weight.detach().clone()
    model.target_net.update_parameters(online)
    torch.testing.assert_close(model.target_net.module[0].conv.weight,
                               0.99 * w_target + 0.01 * w_online)


class ConvBNBackbone(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(6)

    def forward(self, x):
        return (self.bn(self.conv(x)), )


@pytest.mark.parametrize('end_momentum', [None, 0.005])
def test_ema_update_changes_parameters_only(end_momentum):
    """lightly's update_momentum, which the original calls, averages the
    parameters; the momentum branch keeps its own BatchNorm statistics."""
    from mmengine.logging import MessageHub
    MessageHub.get_current_instance().update_info('max_iters', 10)
    torch.manual_seed(0)
    model = SelfDocSeg(
        backbone=ConvBNBackbone(), neck=TupleIdentity(), head=NegCosHead(),
        layout_head=LayoutMaskHead(in_channels=12), feat_upsample=1,
        base_momentum=0.01, end_momentum=end_momentum)
    online = nn.Sequential(model.backbone, model.neck)
    target = model.target_net.module
    with torch.no_grad():
        online.train()(torch.rand(2, 3, 8, 8) * 3)  # online BN stats move
    model.target_net.update_parameters(online)  # the first one copies all
    for a, b in zip(target.state_dict().values(),
                    online.state_dict().values()):
        assert torch.equal(a, b)
    with torch.no_grad():
        target.train()(torch.rand(2, 3, 8, 8))  # its own statistics
        online(torch.rand(2, 3, 8, 8) + 5)  # different online statistics
        for p in online.parameters():
            p.add_(torch.randn_like(p))
    params_before = {k: v.clone() for k, v in target.named_parameters()}
    buffers_before = {k: v.clone() for k, v in target.named_buffers()}
    assert not torch.allclose(buffers_before['0.bn.running_mean'],
                              model.backbone.bn.running_mean)
    model.target_net.update_parameters(online)
    m = model.target_net.momentum
    if end_momentum is not None:  # BYOL's cosine schedule at step 1 of 10
        m = end_momentum - (end_momentum - 0.01) * (
            math.cos(math.pi * 1 / 10) + 1) / 2
    src = dict(online.named_parameters())
    for k, p in target.named_parameters():
        torch.testing.assert_close(p, (1 - m) * params_before[k] + m * src[k])
    for k, b in target.named_buffers():
        assert torch.equal(b, buffers_before[k]), k


def test_cosine_momentum_schedule():
    from mmengine.logging import MessageHub
    MessageHub.get_current_instance().update_info('max_iters', 4)
    model = simple_model(base_momentum=0.01, end_momentum=0.)
    online = nn.Sequential(model.backbone, model.neck)
    model.target_net.update_parameters(online)
    model.target_net.update_parameters(online)  # steps=1 of 4
    w_t = model.target_net.module[0].conv.weight.detach().clone()
    with torch.no_grad():
        model.backbone.conv.weight.add_(1.0)
    model.target_net.update_parameters(online)  # steps=2 of 4
    m = 0. - (0. - 0.01) * (math.cos(math.pi * 2 / 4) + 1) / 2
    torch.testing.assert_close(
        model.target_net.module[0].conv.weight,
        (1 - m) * w_t + m * model.backbone.conv.weight.detach())


def test_no_objects_and_tiny_objects_are_finite():
    model = simple_model()
    views = [torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)]
    empty = torch.zeros(0, 4, 4)
    losses = model.loss(views, [sample([empty, empty], torch.zeros(4, 4))] * 2)
    assert torch.isfinite(losses['loss_layout'])
    assert losses['loss_sim'].item() == 0.
    sum(losses.values()).backward()  # graph stays connected
    one = torch.zeros(2, 4, 4)
    one[0, 1, 1] = 1
    one[1, 3, 3] = 1
    losses = model.loss(views, [sample([one, one], one.sum(0))] * 2)
    assert all(torch.isfinite(v) for v in losses.values())


def test_resnet_build_from_config_trains_one_step():
    from docseg_mm.registry import MODELS
    model = MODELS.build(dict(
        type='SelfDocSeg',
        backbone=dict(type='mmpretrain.ResNet', depth=18, out_indices=(3, ),
                      base_channels=8),
        neck=dict(type='mmpretrain.NonLinearNeck', in_channels=64,
                  hid_channels=32, out_channels=16, num_layers=2,
                  with_bias=False, with_last_bias=True, with_last_bn=False,
                  with_avg_pool=False),
        head=dict(type='mmpretrain.LatentPredictHead',
                  loss=dict(type='mmpretrain.CosineSimilarityLoss',
                            shift_factor=0., scale_factor=1.),
                  predictor=dict(type='mmpretrain.NonLinearNeck',
                                 in_channels=16, hid_channels=32,
                                 out_channels=16, num_layers=2,
                                 with_bias=False, with_last_bias=True,
                                 with_last_bn=False, with_avg_pool=False)),
        layout_head=dict(type='LayoutMaskHead', in_channels=128)))
    assert type(model.backbone).__module__.startswith('mmpretrain')
    obj = torch.zeros(2, 8, 8)
    obj[0, :4] = 1
    obj[1, 5:] = 1
    data = dict(inputs=[torch.randint(0, 255, (2, 3, 64, 64)).float()] * 2,
                data_samples=[sample([obj, obj], obj.sum(0)),
                              sample([obj, obj], obj.sum(0))])
    data = model.data_preprocessor(data, True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_layout', 'loss_sim'}
    # Identical views and target == online at step 0: cos(p, z') is the only
    # thing that varies, so the similarity loss lies in [-1, 1].
    assert -1. <= losses['loss_sim'].item() <= 1.
    sum(losses.values()).backward()
    assert model.layout_head.conv.weight.grad is not None
    feats = model(data['inputs'][0], mode='tensor')
    assert feats[0].shape == (2, 64, 2, 2)


def test_pooling_on_coarse_features_equals_upsampled_pooling():
    torch.manual_seed(0)
    feats = torch.randn(5, 3, 4)
    masks = (torch.rand(6, 12, 16) > 0.6).float()
    masks[:, 0, 0] = 1  # no empty mask
    up = F.interpolate(feats[None], scale_factor=4, mode='nearest')[0]
    expected = torch.stack([(up * m).sum((1, 2)) / m.sum() for m in masks])
    torch.testing.assert_close(masked_average_pool(feats, masks), expected)
    with pytest.raises(ValueError, match='integer multiple'):
        masked_average_pool(feats, masks[:, :10])


def test_layout_logits_commute_with_upsampling():
    head = LayoutMaskHead(in_channels=5)
    feats = torch.randn(2, 5, 3, 4)
    up = F.interpolate(feats, scale_factor=4, mode='nearest')
    torch.testing.assert_close(head(feats, 4), head(up))
