# Copyright (c) docseg_mm contributors. All rights reserved.
"""A tiny generated document set and a tiny config for end-to-end tool tests."""
import os
import os.path as osp
import subprocess
import sys
from typing import List

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CONFIG = osp.join(REPO, 'configs', 'demo',
                       'mask-rcnn_r18_fpn_1xb4-400i_demo-doclaynet.py')

TINY_CONFIG = '''
_base_ = [{demo!r}]
data_root = {root!r}
img_scale = (160, 208)
train_pipeline = [
    dict(type='LoadDocImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.PackDetInputs')
]
test_pipeline = [
    dict(type='LoadDocImageFromFile'),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor'))
]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'COCO/val.json')
test_evaluator = val_evaluator
max_iters = {iters}
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=2, max_keep_ckpts=10))
randomness = dict(seed=0)
'''


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory) -> str:
    from docseg_mm.demo_data import generate_demo_dataset
    root = str(tmp_path_factory.mktemp('demo_data'))
    generate_demo_dataset(root, num_train=8, num_val=4, num_unlabeled=0,
                          num_per_page_type=0, dpi=48, write_pdf=False,
                          seed=1)
    return root + '/'


def write_tiny_config(path: str, data_root: str, iters: int = 4) -> str:
    with open(path, 'w') as f:
        f.write(TINY_CONFIG.format(demo=DEMO_CONFIG, root=data_root,
                                   iters=iters))
    return path


@pytest.fixture
def tiny_config(tmp_path, tiny_data) -> str:
    return write_tiny_config(str(tmp_path / 'tiny_maskrcnn_demo.py'),
                             tiny_data)


def tool_env() -> dict:
    env = dict(os.environ)
    bindir = osp.dirname(sys.executable)
    env['PATH'] = bindir + os.pathsep + env.get('PATH', '')
    env['PYTHON'] = sys.executable
    env['OMP_NUM_THREADS'] = '1'
    env.pop('CUDA_VISIBLE_DEVICES', None)
    return env


def run_tool(args: List[str], timeout: int = 600,
             cwd: str = REPO) -> subprocess.CompletedProcess:
    """Run a command and fail the test with its output when it fails."""
    proc = subprocess.run(args, cwd=cwd, env=tool_env(), capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f'{args} exited {proc.returncode}\n'
                             f'STDOUT:\n{proc.stdout[-4000:]}\n'
                             f'STDERR:\n{proc.stderr[-4000:]}')
    return proc
