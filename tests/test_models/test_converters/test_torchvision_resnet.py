# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of the torchvision ResNet-50 layout and encoder conversion."""
import pytest
import torch

from docseg_mm.models.converters import torchvision_resnet as conv
from .selfdocseg_sources import (encoder_forms, rebuilt_encoder_shapes,
                                 shapes_of)


def test_resnet50_table_matches_torchvision_and_mmpretrain():
    from mmpretrain.models.backbones import ResNet
    tv = rebuilt_encoder_shapes()
    tv.pop('fc.weight')
    tv.pop('fc.bias')
    assert list(conv.RESNET50_SHAPES.items()) == list(tv.items())
    mm = shapes_of(ResNet(depth=50).state_dict())
    assert mm == dict(conv.RESNET50_SHAPES)
    assert len(conv.RESNET50_SHAPES) == 318


def test_encoder_forms_convert_identically(clean_encoder):
    outputs = {}
    for form, sd in encoder_forms(clean_encoder).items():
        out, report = conv.convert_torchvision_encoder(sd)
        report.check_complete(list(sd))
        assert set(report.mapped) | set(report.dropped) == set(sd), form
        assert set(report.dropped) == {k for k in sd if 'fc.' in k}, form
        outputs[form] = out
    ref = outputs['clean']
    assert list(ref) == ['backbone.' + k for k in conv.RESNET50_SHAPES]
    for form, out in outputs.items():
        assert list(out) == list(ref), form
        for k in ref:
            assert torch.equal(out[k], ref[k]), (form, k)
    for k, v in clean_encoder.items():
        if not k.startswith('fc.'):
            assert torch.equal(ref['backbone.' + k], v)
    _, report = conv.convert_torchvision_encoder(clean_encoder)
    assert 'classifier' in report.dropped['fc.weight']


def test_encoder_errors(clean_encoder):
    bad = dict(clean_encoder)
    bad['layer5.0.conv1.weight'] = torch.zeros(1)
    with pytest.raises(KeyError, match=r'layer5\.0\.conv1\.weight'):
        conv.convert_torchvision_encoder(bad)
    mixed = dict(clean_encoder)
    mixed['0.0.weight'] = clean_encoder['conv1.weight']
    with pytest.raises(KeyError, match='mixes key forms'):
        conv.convert_torchvision_encoder(mixed)
    partial = dict(clean_encoder)
    del partial['layer3.4.bn2.running_var']
    with pytest.raises(ValueError, match=r'layer3\.4\.bn2\.running_var'):
        conv.convert_torchvision_encoder(partial)
    shaped = dict(clean_encoder)
    shaped['layer1.0.conv1.weight'] = torch.zeros(64, 64, 3, 3)
    with pytest.raises(ValueError, match='shape'):
        conv.convert_torchvision_encoder(shaped)
