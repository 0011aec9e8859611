# Copyright (c) docseg_mm contributors. All rights reserved.
"""AlignSeg's command-line tools end to end on tiny inputs: the converter
CLI, tools/test.py with --show-dir on the demo config (cluster pictures and
the three protocols), the demo summary and the benchmark."""
import glob
import json
import os.path as osp
import sys
from collections import OrderedDict

import torch

from docseg_mm.evaluation.cluster_report import (comparison_rows,
                                                 format_comparison)
from docseg_mm.registry import MODELS
from docseg_mm.testing import make_tiny_dataset
from docseg_mm.utils import register_all_modules
from .conftest import REPO, run_tool

DEMO_CFG = osp.join(
    REPO, 'configs', 'alignseg',
    'alignseg_vit-t16-selfdocseg-pre_1xb16-200i_demo-doc-pages.py')

TINY_DEMO = '''
_base_ = [{base!r}]
data_root = {root!r}
model = dict(
    backbone=dict(arch=dict(embed_dims=24, num_layers=2, num_heads=3,
                            feedforward_channels=48), init_cfg=None),
    decode_head=dict(in_channels=24, feedforward_channels=16))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 48), keep_ratio=False),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
test_dataloader = dict(num_workers=0, persistent_workers=False,
                       dataset=dict(data_root=data_root,
                                    pipeline=test_pipeline))
test_evaluator = [
    dict(type='PerImageClusterIoUMetric', eval_size=None),
    dict(type='MatchedClusterIoUMetric', num_clusters=5,
         matching='hungarian', eval_size=None, prefix='hungarian'),
    dict(type='KMeansClusterMetric', num_clusters=[5],
         protocols=['per_image', 'hungarian'], eval_size=None,
         embed_key='seg_embeddings', prefix='kmeans_k5'),
    dict(type='KMeansClusterMetric', num_clusters=[12, 24], eval_size=None,
         embed_key='seg_embeddings', prefix='kmeans_backbone'),
    dict(type='KMeansClusterMetric', num_clusters=[12, 24], eval_size=None,
         embed_key='seg_assignment', prefix='kmeans_alignseg'),
]
'''


def test_converter_cli_prints_the_report(tmp_path):
    sd = OrderedDict(cls_token=torch.zeros(1, 1, 8),
                     pos_embed=torch.zeros(1, 5, 8))
    sd['patch_embed.proj.weight'] = torch.zeros(8, 3, 16, 16)
    sd['patch_embed.proj.bias'] = torch.zeros(8)
    sd['norm.weight'] = torch.ones(8)
    sd['norm.bias'] = torch.zeros(8)
    leopart = OrderedDict(('model.' + k, v) for k, v in sd.items())
    leopart['model.prototypes.weight'] = torch.zeros(3, 8)
    src, dst = tmp_path / 'leopart.ckpt', tmp_path / 'out.pth'
    torch.save(leopart, src)
    out = run_tool([sys.executable,
                    osp.join(REPO, 'tools', 'model_converters',
                             'alignseg_to_docseg.py'), str(src), str(dst)])
    assert 'layout: leopart' in out.stdout and 'mapped: 6' in out.stdout
    assert 'model.prototypes.weight: Leopart clustering head' in out.stdout
    state = torch.load(dst, weights_only=True)['state_dict']
    assert set(state) == {
        'backbone.cls_token', 'backbone.pos_embed',
        'backbone.patch_embed.projection.weight',
        'backbone.patch_embed.projection.bias', 'backbone.ln1.weight',
        'backbone.ln1.bias'
    }


def test_test_tool_show_dir_and_demo_summary(tmp_path):
    register_all_modules()
    root = str(tmp_path / 'pages')
    make_tiny_dataset(
        dict(type='mmseg.BaseSegDataset', data_root='data/demo/',
             metainfo=dict(classes=tuple('abcdefghijkl')),
             ann_file='SEM/val.txt', img_suffix='.png',
             data_prefix=dict(img_path='PNG', seg_map_path='SEM')), root)
    cfg_path = tmp_path / 'tiny_alignseg_demo.py'
    cfg_path.write_text(TINY_DEMO.format(base=DEMO_CFG, root=root + '/'))
    from mmengine.config import Config
    cfg = Config.fromfile(str(cfg_path))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    ckpt = tmp_path / 'tiny.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    work = tmp_path / 'work'
    run_tool([sys.executable, osp.join(REPO, 'tools', 'test.py'),
              str(cfg_path), str(ckpt), '--work-dir', str(work),
              '--show-dir', 'vis'])
    pictures = glob.glob(str(work / '2*' / 'vis' / '*.png'))
    assert len(pictures) == 3
    logs = glob.glob(str(work / '2*' / '2*.json'))
    with open(logs[0]) as f:
        metrics = [json.loads(line) for line in f][-1]
    for key in ('per_image/mIoU', 'hungarian/mIoU', 'kmeans_k5/k5_per_image',
                'kmeans_k5/k5_hungarian', 'kmeans_backbone/k12_hungarian',
                'kmeans_alignseg/k24_many_to_one'):
        assert 0 <= metrics[key] <= 100, key
    out = run_tool([sys.executable,
                    osp.join(REPO, 'tools', 'misc',
                             'summarize_alignseg_demo.py'), str(work),
                    '--over-k', '12', '24'])
    assert 'AlignSeg' in out.stdout
    assert f"{metrics['per_image/mIoU']:.1f}" in out.stdout


def test_comparison_table_gap():
    rows = comparison_rows(5, [12, 24], num_classes=12)
    assert [r[1] for r in rows[:3]] == [
        'kmeans_k5/k5_per_image', 'kmeans_k5/k5_hungarian',
        'kmeans_backbone/k12_hungarian'
    ]
    assert len(rows) == 5  # k=24: IoU and precision many-to-one
    table = format_comparison(
        {'kmeans_k5/k5_per_image': 20.0, 'per_image/mIoU': 31.5}, rows)
    first = table.splitlines()[2]
    assert '20.0' in first and '31.5' in first and '+11.5' in first


def test_alignseg_benchmark_runs(tmp_path):
    out = tmp_path / 'bench.json'
    run_tool([sys.executable,
              osp.join(REPO, 'tools', 'analysis_tools',
                       'alignseg_benchmark.py'), '--batch-size', '1',
              '--crop', '64', '--steps', '1', '--warmup', '0',
              '--kmeans-images', '2', '3', '--grid', '4', '--dim', '8',
              '--k', '2', '3', '--out', str(out)])
    res = json.loads(out.read_text())
    assert res['train_step_s'] > 0 and res['backbone_forward_s'] > 0
    assert abs(res['train_step_over_backbone'] -
               res['train_step_s'] / res['backbone_forward_s']) < 1e-9
    assert [r['vectors'] for r in res['kmeans_runs']] == [32, 48]
    assert res['kmeans_target_vectors'] == 1449 * 16
