# Copyright (c) docseg_mm contributors. All rights reserved.
"""SelfDocSeg demo chain: pretrain -> export encoder -> mmdet backbone init."""
import os.path as osp
import sys

import torch

from .conftest import REPO, run_tool

SSL_CFG = osp.join(REPO, 'configs', 'selfdocseg',
                   'selfdocseg_resnet18_1xb4-200i_demo-unlabeled.py')
FT_CFG = osp.join(REPO, 'configs', 'selfdocseg',
                  'mask-rcnn_r18-selfdocseg-pre_fpn_1xb4-400i_demo-doclaynet.py')


def test_pretrain_export_and_finetune_init(tmp_path):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from docseg_mm.registry import MODELS
    from docseg_mm.demo_data import generate_demo_dataset
    from docseg_mm.utils import load_checkpoint_file
    root = str(tmp_path / 'pages')
    generate_demo_dataset(root, num_train=2, num_val=1, num_unlabeled=8,
                          num_per_page_type=2, seed=2)
    work = str(tmp_path / 'ssl')
    result = run_tool([
        sys.executable, osp.join(REPO, 'tools', 'train.py'), SSL_CFG,
        '--work-dir', work, '--cfg-options', 'train_cfg.max_iters=3',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        f'train_dataloader.dataset.data_root={root}/',
        f'custom_hooks.0.bank_dataloader.dataset.data_root={root}/page_types',
        f'custom_hooks.0.query_dataloader.dataset.data_root={root}/page_types',
        'custom_hooks.0.bank_dataloader.dataset.indices=[0,2,4,6,8]',
        'custom_hooks.0.query_dataloader.dataset.indices=[1,3,5,7,9]',
    ])
    log = result.stdout + result.stderr
    assert 'loss_layout' in log and 'loss_sim' in log
    # The kNN monitor evaluated the page-type folders at the last iteration.
    assert 'kNN monitor (iter 3' in log
    ckpt = osp.join(work, 'iter_3.pth')
    encoder = str(tmp_path / 'encoder.pth')
    run_tool([sys.executable,
              osp.join(REPO, 'tools', 'model_converters',
                       'selfdocseg_export_encoder.py'), ckpt, encoder])

    # The fine-tuning config's backbone takes every exported tensor: a stem
    # width mismatch would be skipped silently by the non-strict loader.
    init_default_scope('docseg_mm')
    cfg = Config.fromfile(FT_CFG)
    cfg.model.backbone.init_cfg.checkpoint = encoder
    model = MODELS.build(cfg.model)
    model.backbone.init_weights()
    src = load_checkpoint_file(ckpt)['state_dict']
    own = model.backbone.state_dict()
    assert len(own) > 100
    for k, v in own.items():
        assert torch.equal(v, src['backbone.' + k]), k
