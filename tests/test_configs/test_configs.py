# Copyright (c) docseg_mm contributors. All rights reserved.
"""Every config under ``configs/`` (found by glob, so configs added later
are covered too): its model is built (shrunk through ``--cfg-options``-style
overrides of ``docseg_mm.testing.tiny_models`` when it is big), its own
dataloaders run on a tiny dataset written in its format by
``docseg_mm.testing`` (a dataset type without a tiny writer fails here), one
training step changes the weights with finite losses, and the validation
loader's first batch is predicted.
"""
import os.path as osp
import time

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.model.utils import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from docseg_mm.registry import MODELS
from docseg_mm.testing.config_check import (config_files, dataloaders,
                                            find_scope_traps,
                                            strip_pretrained, tiny_dataloader)
from docseg_mm.testing.tiny_models import (MAX_TRAINABLE_PARAMS,
                                           shrink_overrides)
from docseg_mm.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = config_files(REPO)


def _name(path: str) -> str:
    return osp.relpath(path, osp.join(REPO, 'configs'))


def load_config(path: str) -> Config:
    """The config with its shrink overrides and without checkpoints."""
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(path)
    init_default_scope(cfg.get('default_scope', 'docseg_mm'))
    cfg.merge_from_dict(shrink_overrides(cfg))
    cfg.model = strip_pretrained(cfg.model.to_dict())
    return cfg


def build_model(cfg: Config) -> torch.nn.Module:
    model = revert_sync_batchnorm(MODELS.build(cfg.model))  # as the Runner
    model.init_weights()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable <= MAX_TRAINABLE_PARAMS, (
        f'{trainable / 1e6:.1f} M trainable parameters: add a shrink rule '
        f'for {cfg.model.type!r} in docseg_mm/testing/tiny_models.py')
    return model


def optim_wrapper_of(cfg: Config, model):
    optim = cfg.optim_wrapper.to_dict()
    if optim.get('type', 'OptimWrapper').endswith('AmpOptimWrapper'):
        optim['type'] = 'OptimWrapper'  # AMP needs a GPU
        optim.pop('loss_scale', None)
    return build_optim_wrapper(model, optim)


def check_prediction(model, sample) -> None:
    """Generic sanity of one predicted data sample."""
    if 'pred_instances' in sample:
        pred = sample.pred_instances
        num = len(sample.metainfo.get('class_names', ())) - 1
        if num <= 0:
            num = getattr(getattr(model, 'roi_head', None), 'bbox_head',
                          None)
            num = getattr(num, 'num_classes', None)
        assert len(pred.scores) == len(pred.labels) == len(pred.bboxes)
        if num and len(pred.labels):
            assert 0 <= int(pred.labels.min()) and int(pred.labels.max()) < num
    elif 'pred_sem_seg' in sample:
        seg = sample.pred_sem_seg.data
        assert seg.shape == sample.gt_sem_seg.data.shape
        head = model.decode_head
        # class ids, or cluster ids for the unsupervised AlignSeg
        num = getattr(head, 'num_classes', None) or head.num_queries
        assert int(seg.min()) >= 0 and int(seg.max()) < num
    elif 'pred_text' in sample:
        assert isinstance(sample.pred_text.item, str)
        assert sample.gt_text.item in ('ab', 'Cd1', 'xyz', 'Q!')
        assert sample.dataset_name  # per-benchmark metrics group by it
    else:
        raise AssertionError(f'no prediction in {sample.keys()}')


def check_layer_decay(cfg: Config, optim_wrapper) -> None:
    """DiG fine-tuning: patch embedding decay^(L+1), block k decay^(L-k),
    decoder 1 (L = 1 block in the shrunk model)."""
    assert cfg.optim_wrapper.get('constructor') == \
        'mmpretrain.LearningRateDecayOptimWrapperConstructor'
    rate = cfg.optim_wrapper.paramwise_cfg.layer_decay_rate
    scales = {g['param_name']: g['lr_scale']
              for g in optim_wrapper.optimizer.param_groups}
    assert scales['backbone.patch_embed.projection.weight'] == rate**2
    assert scales['backbone.mask_token'] == rate**2
    assert scales['backbone.layers.0.attn.qkv.weight'] == rate
    assert scales['decoder.classifier.weight'] == 1.0


@pytest.mark.parametrize('path', CONFIGS, ids=_name)
def test_config(path, tmp_path):
    start = time.time()
    cfg = load_config(path)
    assert not find_scope_traps(cfg), find_scope_traps(cfg)
    model = build_model(cfg)
    if hasattr(model, 'seg_loss_enabled'):  # SLRNet: the full loss
        model.seg_loss_enabled = True
    MessageHub.get_current_instance().update_info('max_iters', 10)
    loaders = dataloaders(cfg)
    assert loaders and loaders[0][0] == 'train_dataloader', 'no training'
    for i, (key, loader_cfg) in enumerate(loaders):
        loader = Runner.build_dataloader(
            tiny_dataloader(loader_cfg, str(tmp_path / str(i)),
                            batch_size=2 if key == 'train_dataloader'
                            else 1), seed=0)
        batch = next(iter(loader))
        if key == 'train_dataloader':
            optim_wrapper = optim_wrapper_of(cfg, model)
            before = {n: p.detach().clone()
                      for n, p in model.named_parameters() if p.requires_grad}
            model.train()
            losses = model.train_step(batch, optim_wrapper)
            assert losses and all(torch.isfinite(v).all()
                                  for v in losses.values()), losses
            assert any(k.startswith('loss') for k in losses), losses
            changed = [n for n, p in model.named_parameters()
                       if n in before and not torch.equal(p, before[n])]
            assert changed, 'the training step changed no weight'
            if cfg.optim_wrapper.get('paramwise_cfg', {}).get(
                    'layer_decay_rate'):
                check_layer_decay(cfg, optim_wrapper)
        elif key == 'val_dataloader':
            model.eval()
            with torch.no_grad():
                preds = model.val_step(batch)
            assert len(preds) == 1
            check_prediction(model, preds[0])
        # test and hook loaders: their pipeline ran on a tiny sample
    print(f'{_name(path)}: {time.time() - start:.1f} s')


def test_every_config_is_found():
    """The glob sees every method folder (and nothing of ``_base_``)."""
    names = [_name(p) for p in CONFIGS]
    assert not [n for n in names if n.startswith('_base_')]
    for folder in ('demo', 'dig', 'docsam', 'selfdocseg', 'slrnet'):
        assert any(n.startswith(folder + '/') for n in names), folder


def test_resize_wrapper_trap_is_caught():
    """The trap of issue 9 (mmdet.RandomChoiceResize building mmcv's
    Resize under the docseg_mm scope) is flagged statically."""
    cfg = Config(dict(train_pipeline=[
        dict(type='mmdet.RandomChoiceResize', scales=[(10, 10)]),
        dict(type='mmdet.RandomChoiceResize', scales=[(10, 10)],
             resize_type='mmdet.Resize'),
    ]))
    traps = find_scope_traps(cfg)
    assert len(traps) == 1 and 'train_pipeline[0]' in traps[0]
    assert "resize_type='mmdet.Resize'" in traps[0]
    cfg.default_scope = 'mmdet'
    assert not find_scope_traps(cfg)
