# Copyright (c) docseg_mm contributors. All rights reserved.
"""Scope resolution: foreign modules are reached by prefix or ``_scope_``."""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from docseg_mm.registry import MODELS, TRANSFORMS


@pytest.fixture(autouse=True)
def docseg_scope():
    init_default_scope('docseg_mm')


def test_registries_are_children_of_mmengine_roots():
    from mmengine.registry import MODELS as ROOT_MODELS
    assert MODELS.scope == 'docseg_mm'
    assert MODELS.parent is ROOT_MODELS
    assert ROOT_MODELS.children['docseg_mm'] is MODELS


def test_prefixed_resize_is_box_and_mask_aware():
    from mmdet.structures.bbox import HorizontalBoxes
    from mmdet.structures.mask import BitmapMasks
    mask = np.zeros((1, 50, 100), np.uint8)
    mask[0, 20:40, 10:30] = 1

    def results():
        return dict(
            img=np.zeros((50, 100, 3), np.uint8),
            gt_bboxes=HorizontalBoxes(np.array([[10., 20., 30., 40.]],
                                               np.float32)),
            gt_masks=BitmapMasks(mask.copy(), 50, 100))

    cfg = dict(scale=(200, 100), keep_ratio=False)
    mmdet_t = TRANSFORMS.build(dict(type='mmdet.Resize', **cfg))
    assert type(mmdet_t).__module__.startswith('mmdet.')
    out = mmdet_t(results())
    # (100x50 -> 200x100) doubles every coordinate and the mask with it.
    np.testing.assert_allclose(out['gt_bboxes'].numpy(), [[20., 40., 60., 80.]])
    resized = out['gt_masks'].masks[0]
    assert resized.shape == (100, 200)
    ys, xs = np.nonzero(resized)
    assert (xs.min(), xs.max() + 1, ys.min(), ys.max() + 1) == (20, 60, 40, 80)

    # The bare name under the docseg_mm scope is mmcv's box-unaware Resize.
    bare_t = TRANSFORMS.build(dict(type='Resize', **cfg))
    assert type(bare_t).__module__.startswith('mmcv.')
    with pytest.raises(Exception):
        bare_t(results())


def test_foreign_models_resolve_to_their_codebase():
    det = MODELS.build(dict(
        type='mmdet.ResNet', depth=18, base_channels=8, out_indices=(3, )))
    pre = MODELS.build(dict(
        type='mmpretrain.ResNet', depth=18, base_channels=8,
        out_indices=(3, )))
    seg = MODELS.build(dict(
        type='mmseg.ResNetV1c', depth=18, base_channels=8, stem_channels=8,
        out_indices=(3, )))
    assert type(det).__module__.startswith('mmdet.models')
    assert type(pre).__module__.startswith('mmpretrain.models')
    assert type(seg).__module__.startswith('mmseg.models')
    x = torch.rand(2, 3, 32, 32)
    assert det(x)[0].shape == (2, 64, 1, 1)
    # mmpretrain's ResNet returns the same stage tuple, mmseg's V1c a deep stem.
    assert pre(x)[0].shape == (2, 64, 1, 1)
    assert seg.stem[0].out_channels == 4


def test_scope_key_switches_nested_builds():
    cfg = dict(
        _scope_='mmdet',
        type='FPN', in_channels=[8, 16], out_channels=8, num_outs=2)
    neck = MODELS.build(cfg)
    assert type(neck).__module__.startswith('mmdet.models')
    with pytest.raises(KeyError, match='not in the docseg_mm::model'):
        MODELS.build(dict(type='FPN', in_channels=[8], out_channels=8,
                          num_outs=1))


def test_demo_config_builds_mmdet_model():
    from mmengine.config import Config
    cfg = Config.fromfile('configs/_base_/models/mask-rcnn_r18_fpn_cpu.py')
    model = MODELS.build(cfg.model)
    assert type(model).__module__ == 'mmdet.models.detectors.mask_rcnn'
    assert type(model.data_preprocessor).__name__ == 'DetDataPreprocessor'
