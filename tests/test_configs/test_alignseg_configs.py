# Copyright (c) docseg_mm contributors. All rights reserved.
"""Every config in configs/alignseg: built, its own pipelines run on a tiny
dataset in its format, one training step and one prediction (evaluated with
the config's own metrics) with a shrunk ViT."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate, pseudo_collate
from mmengine.optim import build_optim_wrapper

from docseg_mm.registry import DATASETS, METRICS, MODELS
from docseg_mm.testing import make_tiny_dataset
from docseg_mm.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'alignseg', '*.py')))
TINY_ARCH = dict(embed_dims=24, num_layers=2, num_heads=3,
                 feedforward_channels=48)


@pytest.fixture(autouse=True, scope='module')
def setup():
    num = torch.get_num_threads()
    torch.set_num_threads(1)
    register_all_modules()
    yield
    torch.set_num_threads(num)


def shrink_pipeline(pipeline):
    for t in pipeline:
        kind = str(t['type']).split('.')[-1]
        if kind == 'AlignSegMultiCrop':
            t.update(global_size=64, local_size=64)
        elif kind == 'Resize':
            t['scale'] = (64, 48)
        elif kind == 'RandomResizedCrop':
            t['scale'] = 64
    return pipeline


def tiny_dataset(loader_cfg, root):
    cfg = copy.deepcopy(loader_cfg.dataset)
    cfg.pipeline = shrink_pipeline(cfg.pipeline)
    return DATASETS.build(make_tiny_dataset(cfg, root))


def shrink_alignseg(model_cfg):
    model_cfg.backbone.arch = TINY_ARCH
    model_cfg.backbone.init_cfg = None
    model_cfg.decode_head.update(in_channels=24, feedforward_channels=16)


def test_all_configs_found():
    names = {osp.basename(c) for c in CONFIGS}
    assert 'alignseg_vit-s16_1xb32-10e_pvoc.py' in names
    assert len(names) == 6


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_config_train_step_and_prediction(config, tmp_path):
    cfg = Config.fromfile(config)
    if cfg.model.type == 'SelfDocSeg':  # the demo's self-supervised ViT
        model = MODELS.build(cfg.model)
        ds = tiny_dataset(cfg.train_dataloader, str(tmp_path / 'train'))
        sample = ds[0]
        assert [tuple(v.shape[-2:]) for v in sample['inputs']] == \
            [(288, 224)] * 2
        batch = default_collate([ds[0], ds[1]])
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
        losses = model.train_step(batch, optim)
        assert torch.isfinite(losses['loss'])
        return
    assert cfg.model.type == 'AlignSeg'
    shrink_alignseg(cfg.model)
    model = MODELS.build(cfg.model)
    model.init_weights()
    ds = tiny_dataset(cfg.train_dataloader, str(tmp_path / 'train'))
    sample = ds[0]
    assert len(sample['inputs']) == 3  # 1 global + 2 local crops
    batch = pseudo_collate([ds[0], ds[1]])
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    before = model.decode_head.queries.weight.detach().clone()
    vit_before = model.backbone.ln1.weight.detach().clone()
    losses = model.train_step(batch, optim)
    assert set(losses) >= {'loss_corr', 'loss_query'}
    assert not torch.equal(before, model.decode_head.queries.weight)
    assert torch.equal(vit_before, model.backbone.ln1.weight)  # frozen

    val = tiny_dataset(cfg.test_dataloader, str(tmp_path / 'val'))
    model.eval()
    with torch.no_grad():
        out = model.test_step(pseudo_collate([val[0], val[1]]))
    k = cfg.model.decode_head.num_queries
    for pred in out:
        assert pred.pred_sem_seg.shape == pred.gt_sem_seg.shape
        assert int(pred.pred_sem_seg.data.max()) < k
    metrics = []
    for m in copy.deepcopy(cfg.test_evaluator):
        if m['type'] == 'KMeansClusterMetric':
            m['num_clusters'] = [2, 3]
        metric = METRICS.build(m)
        metric.dataset_meta = val.metainfo
        metric.process({}, [o.to_dict() for o in out])
        metrics.append(metric.evaluate(2))
    assert metrics and all(metrics)
