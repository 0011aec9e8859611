# Copyright (c) docseg_mm contributors. All rights reserved.
"""Every config in configs/slrnet/: built, its own pipelines run on a tiny
dataset in its format, one training step (seg loss on) and one prediction
with a shrunk backbone."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from docseg_mm.registry import DATASETS, MODELS
from docseg_mm.testing import make_tiny_dataset
from docseg_mm.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'slrnet', '*.py')) +
    glob.glob(osp.join(REPO, 'configs', 'slrnet', 'benchmark', '*.py')))
WRAPPERS = ('ConcatDataset', 'RepeatDataset')
TINY_RESNET = dict(type='mmseg.ResNetV1c', depth=18, stem_channels=8,
                   base_channels=8, out_indices=(0, 3), strides=(1, 2, 2, 1),
                   dilations=(1, 1, 1, 2), norm_cfg=dict(type='BN'),
                   init_cfg=None)


def _tiny_data(cfg, root):
    """Replace every leaf dataset by a tiny one in its format."""
    if str(cfg.get('type', '')).split('.')[-1] in WRAPPERS:
        if 'datasets' in cfg:
            cfg['datasets'] = [_tiny_data(d, osp.join(root, str(i)))
                               for i, d in enumerate(cfg['datasets'])]
        else:
            cfg['dataset'] = _tiny_data(cfg['dataset'], root)
        return cfg
    return make_tiny_dataset(cfg, root)


def _no_syncbn(obj):
    if isinstance(obj, dict):
        if obj.get('type') == 'SyncBN':
            obj['type'] = 'BN'
        for v in obj.values():
            _no_syncbn(v)
    elif isinstance(obj, list):
        for v in obj:
            _no_syncbn(v)


def _shrink(model):
    _no_syncbn(model)
    if model['type'].endswith('EncoderDecoder'):  # mmseg DeepLabV3+
        if 'auxiliary_head' in model:  # two-stage config: 4 outputs
            model['backbone'] = dict(TINY_RESNET, out_indices=(0, 1, 2, 3))
            model['auxiliary_head'].update(in_channels=32, channels=8)
        else:
            model['backbone'] = dict(TINY_RESNET)
        model['decode_head'].update(in_channels=64, channels=16,
                                    c1_in_channels=8, c1_channels=8)
        model['pretrained'] = None
        return model
    model['backbone'] = dict(TINY_RESNET)
    if model['type'] == 'CAMSegmentor':
        model['decode_head'].update(in_channels=64)
    else:
        model['decode_head'].update(in_channels=(8, 64), channels=16,
                                    skip_channels=8, dilations=(1, 2))
        model['pamr'] = dict(num_iter=2, dilations=(1, 2))
    return model


def _build(cfg, name):
    ds = copy.deepcopy(cfg)
    scope = ds.pop('_scope_', None)
    with DATASETS.switch_scope_and_registry(scope) as reg:
        return reg.build(ds)


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config(path, tmp_path):
    register_all_modules()
    cfg = Config.fromfile(path)
    name = osp.basename(path)
    init_default_scope(cfg.get('default_scope', 'docseg_mm'))
    model_cfg = _shrink(cfg.model.to_dict())
    train_ds = _build(_tiny_data(cfg.train_dataloader.dataset.to_dict(),
                                 str(tmp_path / 'train')), name)
    val_ds = _build(_tiny_data(cfg.val_dataloader.dataset.to_dict(),
                               str(tmp_path / 'val')), name)
    model = MODELS.build(Config(dict(model=model_cfg)).model)
    model.init_weights()
    if hasattr(model, 'seg_loss_enabled'):
        model.seg_loss_enabled = True
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()
    batch = pseudo_collate([train_ds[i] for i in range(2)])
    losses = model.train_step(batch, optim)
    assert all(torch.isfinite(v) for v in losses.values())
    model.eval()
    out = model.val_step(pseudo_collate([val_ds[0]]))
    gt = out[0].gt_sem_seg.data
    assert out[0].pred_sem_seg.data.shape == gt.shape
    assert int(out[0].pred_sem_seg.data.max()) < model.decode_head.num_classes
