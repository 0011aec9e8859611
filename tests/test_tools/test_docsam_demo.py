# Copyright (c) docseg_mm contributors. All rights reserved.
"""The DocSAM CPU demo config trains, evaluates per dataset for both class
sets, and its checkpoint answers for a third class set with tools/test.py."""
import json
import os.path as osp
import sys

from .conftest import REPO, run_tool

CFG = osp.join(REPO, 'configs', 'docsam',
               'docsam_swin-n_1xb2-400i_demo-two-classsets.py')


def _data_root_options(root: str) -> list:
    opts = []
    for loader in ('train', 'val', 'test'):
        for i in (0, 1):
            opts.append(
                f'{loader}_dataloader.dataset.datasets.{i}.data_root={root}')
    return opts


def test_docsam_demo_trains_and_reports_both_class_sets(tiny_data, tmp_path):
    work = str(tmp_path / 'docsam')
    result = run_tool([
        sys.executable,
        osp.join(REPO, 'tools', 'train.py'), CFG, '--work-dir', work,
        '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=2'
    ] + _data_root_options(tiny_data))
    log = result.stdout + result.stderr
    assert 'd0.loss_cls' in log and 'loss_sem_focal' in log
    for dataset in ('DemoDocLayNet', 'DemoCoarse'):
        for key in ('segm_mAP', 'bbox_mAP', 'mIoU', 'mAF'):
            assert f'{dataset}/{key}' in log, (dataset, key)
    assert 'mean/segm_mAP' in log
    assert 'Per-dataset metrics' in log
    assert 'DemoDocLayNet' in log and '| 11 ' in log  # 11 classes
    assert '| 3 ' in log  # coarse set: text / table / figure

    # The trained checkpoint evaluated under class names it never saw.
    out = str(tmp_path / 'preds.pkl')
    result = run_tool([
        sys.executable,
        osp.join(REPO, 'tools', 'test.py'), CFG,
        osp.join(work, 'iter_2.pth'), '--work-dir', work, '--out', out,
        '--cfg-options', 'model.test_cfg.mode=slide',
        'model.test_cfg.patch_size=[128,128]',
        'model.test_cfg.stride=[64,64]',
        'test_dataloader.dataset.datasets.1.class_map.Table=grid',
        'test_dataloader.dataset.datasets.1.dataset_name=DemoRenamed'
    ] + _data_root_options(tiny_data))
    log = result.stdout + result.stderr
    assert 'DemoRenamed/segm_mAP' in log
    import pickle
    with open(out, 'rb') as f:
        preds = pickle.load(f)
    renamed = [p for p in preds if p['dataset_name'] == 'DemoRenamed']
    assert renamed
    for p in renamed:
        assert tuple(p['class_names']) == ('figure', 'grid', 'text',
                                           'DemoRenamed _background_')
        h, w = p['ori_shape']
        assert tuple(p['pred_sem_masks']['data'].shape) == (3, h, w)
        if len(p['pred_instances']['labels']):
            assert int(p['pred_instances']['labels'].max()) < 3
    json.dumps([p['dataset_name'] for p in preds])
