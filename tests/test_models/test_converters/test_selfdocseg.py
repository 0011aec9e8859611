# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of the SelfDocSeg checkpoint converters.

The source state dicts are synthetic (random tensors) but have exactly the
keys and shapes of the original checkpoints (see
:mod:`.selfdocseg_sources`).
"""
import argparse
import os.path as osp

import pytest
import torch
import torch.nn as nn

from docseg_mm.models.converters import selfdocseg as conv
from docseg_mm.models.converters import selfdocseg as export
from docseg_mm.models.converters.loading import UnsafeCheckpointError
from .selfdocseg_sources import (ENCODER_KEY_FILE, LIGHTNING_KEY_FILE,
                                 encoder_forms, encoder_shapes,
                                 lightning_shapes, read_key_file,
                                 rebuilt_encoder_shapes,
                                 rebuilt_lightning_shapes, shapes_of)


@pytest.fixture(scope='module')
def converted(lightning_sd):
    return conv.convert_lightning_state_dict(lightning_sd)


def _target_model() -> nn.Module:
    """docseg_mm SelfDocSeg tensor layout from the real mmpretrain modules
    (mmpretrain's ResNet cannot be built on the meta device)."""
    from mmpretrain.models.backbones import ResNet
    from mmpretrain.models.necks import NonLinearNeck
    from mmpretrain.models.utils import CosineEMA
    mlp = dict(num_layers=2, with_bias=False, with_last_bias=True,
               with_last_bn=False)
    model = nn.Module()
    model.backbone = ResNet(depth=50)
    model.neck = NonLinearNeck(2048, 4096, 256, with_avg_pool=True, **mlp)
    model.head = nn.Module()
    model.head.predictor = NonLinearNeck(256, 4096, 256, with_avg_pool=False,
                                         **mlp)
    model.layout_head = nn.Module()
    model.layout_head.conv = nn.Conv2d(4096, 1, kernel_size=1)
    model.target_net = CosineEMA(
        nn.Sequential(model.backbone, model.neck), momentum=0.01,
        end_momentum=0.01)
    return model


def test_key_files_match_rebuilt_original_topology():
    assert osp.isfile(LIGHTNING_KEY_FILE) and osp.isfile(ENCODER_KEY_FILE)
    assert dict(read_key_file(LIGHTNING_KEY_FILE)) == dict(
        rebuilt_lightning_shapes())
    assert dict(read_key_file(ENCODER_KEY_FILE)) == dict(
        rebuilt_encoder_shapes())


def test_source_layout_size():
    shapes, origin = lightning_shapes()
    assert len(shapes) == 981, origin
    enc, origin = encoder_shapes()
    assert len(enc) == 320, origin


# ---------------------------------------------------------------------------
# Lightning checkpoint -> docseg_mm SelfDocSeg
# ---------------------------------------------------------------------------
def test_every_source_key_accounted_for(lightning_sd, converted):
    out, report = converted
    src = set(lightning_sd)
    assert set(report.mapped) | set(report.dropped) == src
    assert not set(report.mapped) & set(report.dropped)
    dup = {k for k in src if k.startswith('backbone.0.')}
    assert len(dup) == 318
    assert set(report.dropped) == dup | {'dummy_param'}
    assert all('identical' in report.dropped[k] for k in dup)
    assert 'placeholder' in report.dropped['dummy_param']
    # mapping is injective and the output is mapped + added, nothing else
    assert len(set(report.mapped.values())) == len(report.mapped) == 662
    assert set(out) == set(report.mapped.values()) | set(report.added)
    assert set(report.added) == {'target_net.steps'}
    assert len(out) == 663


def test_mapping_examples(converted):
    _, report = converted
    m = report.mapped
    assert m['bb_feat.0.weight'] == 'backbone.conv1.weight'
    assert m['bb_feat.1.running_var'] == 'backbone.bn1.running_var'
    assert m['bb_feat.4.0.downsample.0.weight'] == \
        'backbone.layer1.0.downsample.0.weight'
    assert m['bb_feat.7.2.bn3.num_batches_tracked'] == \
        'backbone.layer4.2.bn3.num_batches_tracked'
    assert m['projection_head.layers.0.weight'] == 'neck.fc0.weight'
    assert m['projection_head.layers.1.running_mean'] == \
        'neck.bn0.running_mean'
    assert m['projection_head.layers.3.bias'] == 'neck.fc1.bias'
    assert m['prediction_head.layers.3.weight'] == 'head.predictor.fc1.weight'
    assert m['mask_localizer.0.weight'] == 'layout_head.conv.weight'
    assert m['mask_localizer.0.bias'] == 'layout_head.conv.bias'
    assert m['bb_feat_momentum.6.5.conv2.weight'] == \
        'target_net.module.0.layer3.5.conv2.weight'
    assert m['projection_head_momentum.layers.1.weight'] == \
        'target_net.module.1.bn0.weight'


def test_values_and_shapes_preserved(lightning_sd, converted):
    out, report = converted
    for src, dst in report.mapped.items():
        assert out[dst].shape == lightning_sd[src].shape, src
        assert out[dst].dtype == lightning_sd[src].dtype, src
        assert torch.equal(out[dst], lightning_sd[src]), src
    steps = out['target_net.steps']
    assert steps.dtype == torch.long and steps.shape == () and int(steps) == 1
    # online and momentum copies are distinct random tensors
    assert not torch.equal(out['backbone.conv1.weight'],
                           out['target_net.module.0.conv1.weight'])


def test_output_matches_real_target_model(converted):
    out, _ = converted
    model = _target_model()
    expected = shapes_of(model.state_dict())
    assert shapes_of(out) == expected
    assert sorted(conv.expected_docseg_keys()) == sorted(expected)
    # per part, as the model author will check it
    for prefix, part in (('backbone.', model.backbone),
                         ('neck.', model.neck),
                         ('head.predictor.', model.head.predictor),
                         ('target_net.module.0.', model.target_net.module[0]),
                         ('target_net.module.1.', model.target_net.module[1])):
        got = {k[len(prefix):]: tuple(v.shape) for k, v in out.items()
               if k.startswith(prefix)}
        assert got == shapes_of(part.state_dict()), prefix
    missing, unexpected = model.load_state_dict(out, strict=True)
    assert not missing and not unexpected
    for k, v in model.state_dict().items():
        assert torch.equal(v, out[k]), k


def test_unknown_key_raises(lightning_sd):
    extras = ['foo.weight', 'bb_feat.4.0.conv9.weight', 'bb_feat.2.weight',
              'backbone.1.weight', 'backbone.0.8.weight',
              'projection_head.layers.2.weight',
              'projection_head.layers.0.bias', 'mask_localizer.1.weight',
              'bb_vec.0.weight', 'prediction_head_momentum.layers.0.weight']
    for extra in extras:
        sd = dict(lightning_sd)
        sd[extra] = torch.zeros(1)
        with pytest.raises(KeyError, match=extra.replace('.', r'\.')):
            conv.convert_lightning_state_dict(sd)


def test_wrong_shape_raises(lightning_sd):
    sd = dict(lightning_sd)
    sd['bb_feat_momentum.5.0.conv2.weight'] = torch.zeros(128, 128, 1, 1)
    with pytest.raises(ValueError, match='bb_feat_momentum.5.0.conv2.weight'):
        conv.convert_lightning_state_dict(sd)


def test_mismatched_duplicates(lightning_sd):
    sd = dict(lightning_sd)
    key = 'backbone.0.5.1.bn2.running_mean'
    sd[key] = lightning_sd[key] + 1
    with pytest.raises(ValueError, match='differ'):
        conv.convert_lightning_state_dict(sd)
    out, report = conv.convert_lightning_state_dict(
        sd, duplicate_source='bb_feat')
    assert torch.equal(out['backbone.layer2.1.bn2.running_mean'],
                       lightning_sd['bb_feat.5.1.bn2.running_mean'])
    assert 'differs' in report.dropped[key]
    out, report = conv.convert_lightning_state_dict(
        sd, duplicate_source='backbone')
    assert torch.equal(out['backbone.layer2.1.bn2.running_mean'], sd[key])
    assert report.mapped[key] == 'backbone.layer2.1.bn2.running_mean'
    assert 'bb_feat.5.1.bn2.running_mean' in report.dropped
    report.check_complete(list(sd))


def test_single_copy_of_online_encoder(lightning_sd, converted):
    ref, _ = converted
    only_dup = {k: v for k, v in lightning_sd.items()
                if not k.startswith('bb_feat.')}
    out, report = conv.convert_lightning_state_dict(only_dup)
    assert set(out) == set(ref)
    assert all(torch.equal(out[k], ref[k]) for k in ref)
    assert set(report.dropped) == {'dummy_param'}


def test_incomplete_source_raises(lightning_sd):
    sd = {k: v for k, v in lightning_sd.items()
          if not k.startswith('projection_head_momentum.')}
    with pytest.raises(ValueError, match='target_net.module.1'):
        conv.convert_lightning_state_dict(sd)
    out, _ = conv.convert_lightning_state_dict(sd, require_complete=False)
    assert not any(k.startswith('target_net.module.1.') for k in out)


def test_select_backbone(converted):
    out, _ = converted
    online = conv.select_backbone(out, 'online')
    momentum = conv.select_backbone(out, 'momentum')
    assert list(online) == list(momentum) == [
        'backbone.' + k for k in conv.RESNET50_SHAPES]
    assert momentum['backbone.layer4.2.bn3.weight'] is \
        out['target_net.module.0.layer4.2.bn3.weight']


# ---------------------------------------------------------------------------
# Extracted torchvision encoder -> backbone.*
# ---------------------------------------------------------------------------
def test_broken_extract_output_matches_lightning(lightning_sd, converted):
    """The stray-``0.`` file extract_encoder.py builds from
    ``module.backbone.state_dict()`` converts to the Lightning backbone."""
    full, _ = converted
    broken = {k[len('backbone.'):]: v for k, v in lightning_sd.items()
              if k.startswith('backbone.')}
    assert all(k.startswith('0.') for k in broken)
    out, report = conv.convert_torchvision_encoder(broken)
    assert not report.dropped
    assert out.keys() == conv.select_backbone(full).keys()
    for k, v in out.items():
        assert torch.equal(v, full[k]), k


def test_detect_format(lightning_sd, clean_encoder):
    assert conv.detect_format(lightning_sd) == 'lightning'
    for form, sd in encoder_forms(clean_encoder).items():
        assert conv.detect_format(sd) == 'encoder', form


# ---------------------------------------------------------------------------
# Files (the command lines are tested in tests/test_tools/)
# ---------------------------------------------------------------------------
def test_unsafe_pickle_is_refused(tmp_path):
    """A .ckpt that pickles other objects is refused, naming them; there is
    no switch that turns safe loading off."""
    path = str(tmp_path / 'with_namespace.ckpt')
    torch.save({'state_dict': {'dummy_param': torch.empty(0)},
                'hyper_parameters': argparse.Namespace(lr=0.2)}, path)
    with pytest.raises(UnsafeCheckpointError,
                       match='argparse.Namespace') as info:
        conv.load_source(path)
    assert 'with_namespace.ckpt' in str(info.value)
    assert 'weights_only=False' not in str(info.value)
    with pytest.raises(UnsafeCheckpointError):
        conv.convert_file(path, str(tmp_path / 'out.pth'))
    assert not osp.exists(tmp_path / 'out.pth')


def test_encoder_convert_file(tmp_path, clean_encoder):
    src = str(tmp_path / 'encoder.pth')
    dst = str(tmp_path / 'backbone.pth')
    torch.save({'0.' + k: v for k, v in clean_encoder.items()}, src)
    printed = conv.convert_file(src, dst).summary()
    assert 'source format : encoder' in printed and 'dropped' in printed
    ckpt = torch.load(dst, weights_only=True)
    assert ckpt['meta']['layout'] == 'backbone'
    assert len(ckpt['state_dict']) == 318
    assert torch.equal(ckpt['state_dict']['backbone.layer2.3.conv3.weight'],
                       clean_encoder['layer2.3.conv3.weight'])
    with pytest.raises(ValueError, match='one encoder'):
        conv.convert_file(src, dst, which='momentum')
    # also when wrapped in {'state_dict': ...}
    torch.save({'state_dict': clean_encoder}, src)
    conv.convert_file(src, dst)
    wrapped = torch.load(dst, weights_only=True)['state_dict']
    assert all(torch.equal(wrapped[k], v)
               for k, v in ckpt['state_dict'].items())


def _mmdet_resnet(checkpoint: str) -> nn.Module:
    from mmdet.models.backbones import ResNet
    resnet = ResNet(depth=50,
                    init_cfg=dict(type='Pretrained', checkpoint=checkpoint))
    return resnet


def test_lightning_convert_export_mmdet_round_trip(tmp_path, lightning_sd):
    from docseg_mm.utils import load_checkpoint_file

    # 1. Lightning .ckpt -> docseg_mm SelfDocSeg checkpoint. In a real
    # .ckpt backbone.0.* and bb_feat.* are the same tensors (shared storage).
    saved = {k: (lightning_sd['bb_feat.' + k[len('backbone.0.'):]]
                 if k.startswith('backbone.0.') else v)
             for k, v in lightning_sd.items()}
    ckpt = str(tmp_path / 'epoch=799-step=1000.ckpt')
    torch.save({'state_dict': saved, 'epoch': 799, 'global_step': 1000,
                'pytorch-lightning_version': '1.8.1'}, ckpt)
    full = str(tmp_path / 'selfdocseg_docseg.pth')
    printed = conv.convert_file(ckpt, full, ema_steps=5).summary()
    assert 'mapped        : 662' in printed
    assert 'dropped  318 (duplicate of bb_feat.* (identical))' in printed
    converted = load_checkpoint_file(full)
    sd = converted['state_dict']
    assert len(sd) == 663
    assert converted['meta']['source_global_step'] == 1000
    assert 'dummy_param' in str(converted['meta']['dropped'])
    assert int(sd['target_net.steps']) == 5
    assert torch.equal(sd['layout_head.conv.weight'],
                       lightning_sd['mask_localizer.0.weight'])

    # 2. backbone-only output from the momentum encoder
    mom = str(tmp_path / 'momentum_backbone.pth')
    conv.convert_file(ckpt, mom, which='momentum', backbone_only=True)
    mom_sd = torch.load(mom, weights_only=True)['state_dict']
    assert len(mom_sd) == 318
    assert torch.equal(mom_sd['backbone.layer3.0.downsample.1.running_var'],
                       lightning_sd['bb_feat_momentum.6.0.downsample.1.'
                                    'running_var'])
    train_ckpt = full

    # 3. export both encoders and load them into mmdet's ResNet-50
    for which, prefix in (('online', 'backbone.'),
                          ('momentum', 'target_net.module.0.')):
        enc = str(tmp_path / f'{which}_encoder.pth')
        exported, _ = export.export_file(train_ckpt, enc, which)
        assert exported == 318
        exported = torch.load(enc, weights_only=True)
        assert list(exported['state_dict']) == list(conv.RESNET50_SHAPES)
        resnet = _mmdet_resnet(enc)
        before = resnet.state_dict()
        assert not torch.equal(before['conv1.weight'],
                               sd[prefix + 'conv1.weight'])
        resnet.init_weights()
        after = resnet.state_dict()
        assert set(after) == set(conv.RESNET50_SHAPES)
        for k, v in after.items():
            assert torch.equal(v, sd[prefix + k]), (which, k)

    # 4. a bare state dict loads into torchvision's resnet50 (fc missing)
    import torchvision
    plain = str(tmp_path / 'plain.pth')
    export.export_file(train_ckpt, plain, plain=True)
    bare = torch.load(plain, weights_only=True)
    with torch.device('meta'):
        tv = torchvision.models.resnet50(weights=None)
    missing, unexpected = tv.load_state_dict(bare, strict=False, assign=True)
    assert sorted(missing) == ['fc.bias', 'fc.weight'] and not unexpected
    assert torch.equal(tv.layer4[2].bn3.weight, bare['layer4.2.bn3.weight'])


def test_export_reads_mmengine_checkpoint_safely(tmp_path):
    from mmengine.logging import HistoryBuffer
    weight = torch.randn(64, 3, 7, 7)
    sd = {'backbone.conv1.weight': weight,
          'neck.fc1.bias': torch.randn(256),
          'target_net.module.0.conv1.weight': torch.randn(64, 3, 7, 7)}
    # as MMEngine's Runner saves it: with the message hub's HistoryBuffers
    src = str(tmp_path / 'iter_10.pth')
    torch.save({'meta': {'epoch': 0, 'iter': 10}, 'state_dict': sd,
                'message_hub': {'log_scalars': {
                    'train/loss': HistoryBuffer([1.0, 0.5], [1, 1])}}}, src)
    dst = str(tmp_path / 'encoder.pth')
    assert export.export_file(src, dst) == (1, 2)
    out = torch.load(dst, weights_only=True)
    assert list(out['state_dict']) == ['conv1.weight']
    assert torch.equal(out['state_dict']['conv1.weight'], weight)
    assert out['meta']['which'] == 'online'
    # arbitrary pickled objects are still refused
    torch.save({'state_dict': sd, 'cfg': argparse.Namespace(a=1)}, src)
    with pytest.raises(Exception, match='(?i)weights.only|global'):
        export.export_file(src, dst)


def test_export_errors(converted):
    out, _ = converted
    with pytest.raises(ValueError, match='target_net.module.0.'):
        export.export_encoder(
            {k: v for k, v in out.items() if k.startswith('backbone.')},
            'momentum')
    with pytest.raises(ValueError, match='which'):
        export.export_encoder(out, 'ema')
    enc, left_out = export.export_encoder(out, 'online')
    assert len(enc) == 318 and left_out == len(out) - 318
