# Copyright (c) docseg_mm contributors. All rights reserved.
import logging
from types import SimpleNamespace

import pytest
import torch.nn as nn
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from docseg_mm.engine import (BackboneHeadOptimWrapperConstructor,
                              SegLossWarmupHook)


class _Model(nn.Module):

    def __init__(self):
        super().__init__()
        self.seg_loss_enabled = False
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3, bias=True),
                                      nn.BatchNorm2d(4))
        self.backbone[1].weight.requires_grad = False  # frozen: left out
        self.decode_head = nn.Sequential(nn.Conv2d(4, 2, 1),
                                         nn.BatchNorm2d(2))


def _runner(model, epoch=0, it=0):
    return SimpleNamespace(model=model, epoch=epoch, iter=it,
                           logger=logging.getLogger('test'))


def test_warmup_by_epoch_and_iter():
    model = _Model()
    hook = SegLossWarmupHook(start_epoch=6)  # original: epoch > 5
    hook.before_train_iter(_runner(model, epoch=5), 0)
    assert model.seg_loss_enabled is False
    hook.before_train_iter(_runner(model, epoch=6), 0)
    assert model.seg_loss_enabled is True
    hook = SegLossWarmupHook(start_iter=90)
    hook.before_train_iter(_runner(model, it=89), 0)
    assert model.seg_loss_enabled is False  # resumed before the switch
    hook.before_train_iter(_runner(model, it=90), 0)
    assert model.seg_loss_enabled is True
    with pytest.raises(ValueError):
        SegLossWarmupHook()
    with pytest.raises(AttributeError, match='nope'):
        SegLossWarmupHook(start_iter=0, attr='nope').before_train_iter(
            _runner(model), 0)


def test_backbone_head_param_groups():
    init_default_scope('docseg_mm')
    model = _Model()
    optim = build_optim_wrapper(model, dict(
        type='OptimWrapper',
        constructor='BackboneHeadOptimWrapperConstructor',
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-3,
                       nesterov=True)))
    groups = {id(g['params'][0]): g for g in optim.optimizer.param_groups}
    expect = {
        model.backbone[0].weight: (0.1, 1e-3),
        model.backbone[0].bias: (0.2, 0.),
        model.backbone[1].bias: (0.2, 0.),
        model.decode_head[0].weight: (1.0, 1e-3),
        model.decode_head[0].bias: (2.0, 0.),
        model.decode_head[1].weight: (1.0, 1e-3),
        model.decode_head[1].bias: (2.0, 0.),
    }
    assert len(groups) == len(expect)  # the frozen BN weight is left out
    for p, (lr, wd) in expect.items():
        g = groups[id(p)]
        assert g['lr'] == pytest.approx(lr) and g['weight_decay'] == wd
    assert BackboneHeadOptimWrapperConstructor  # registered and importable
