# Copyright (c) docseg_mm contributors. All rights reserved.
"""The converted released-layout DocSAM checkpoint loads and runs.

A synthetic state dict with exactly the 1550 keys and shapes of
``docsam_base_all_dataset.pth`` is converted and loaded STRICTLY into the
DocSAM-Base model of ``configs/_base_/models/docsam_swin-b.py`` built with
``faithful=True`` (bias-free query-fusion layers), then run on a small page.
"""
import os.path as osp

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config

from docseg_mm.models.converters import docsam as conv
from docseg_mm.registry import MODELS
from docseg_mm.utils import register_all_modules
from .docsam_sources import REPO, build_docsam_base_state_dict


@pytest.fixture(scope='module')
def converted():
    src = build_docsam_base_state_dict(seed=0)
    for key, value in src.items():
        if value.is_floating_point():
            value.mul_(0.02)  # keep activations of random weights tame
    out, unused, mapping = conv.convert_docsam_state_dict(src)
    return src, out, unused, mapping


@pytest.fixture(scope='module')
def base_model():
    register_all_modules()
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'models', 'docsam_swin-b.py'))
    cfg.model.head.decoder.faithful = True
    return MODELS.build(cfg.model)


def test_converted_checkpoint_loads_strictly_and_runs(converted, base_model):
    src, out, unused, mapping = converted
    model = base_model
    assert set(out) == set(model.state_dict())
    result = model.load_state_dict(out, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    # every source tensor landed somewhere, values intact
    assert len(mapping) + len(unused) == len(src) == 1550
    state = model.state_dict()
    probe = ('mask2former.model.transformer_module.decoder.'
             'decoder_layers.2.instance_decoder.1.cross_atten_gate.0.weight')
    assert torch.equal(
        state['head.decoder.decoder_layers.2.instance_decoder.1.'
              'cross_atten_gate.0.weight'], src[probe])
    assert sum(p.numel() for p in model.parameters()) / 1e6 == pytest.approx(
        208.56 - 2.85, abs=0.05)  # the spec's total minus the unused FPN

    model.eval()
    names = ('Text', 'Table', 'Figure', 'Demo _background_')
    sample = DetDataSample(
        metainfo=dict(
            class_names=names,
            img_shape=(96, 64),
            ori_shape=(96, 64),
            scale_factor=(1.0, 1.0)))
    inputs = torch.rand(1, 3, 96, 64) * 255
    with torch.no_grad():
        stages = model._forward(inputs, [sample])
        pred = model.predict(inputs, [sample])[0]
    assert len(stages) == 5
    assert stages[0]['mask_logits'] is None
    assert stages[-1]['cls_logits'].shape[-1] == len(names)
    assert stages[-1]['sem_logits'].shape == (1, len(names), 24, 16)
    for out_ in stages:
        assert torch.isfinite(out_['cls_logits']).all()
        assert torch.isfinite(out_['boxes']).all()
    assert pred.pred_sem_masks.data.shape == (len(names) - 1, 96, 64)
    assert pred.pred_instances.masks.shape[1:] == (96, 64)
    if len(pred.pred_instances):
        assert int(pred.pred_instances.labels.max()) < len(names) - 1
