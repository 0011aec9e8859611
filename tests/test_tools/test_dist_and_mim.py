# Copyright (c) docseg_mm contributors. All rights reserved.
"""Multi-process training (gloo on CPU) and the mim entry points."""
import glob
import os.path as osp
import shutil
import sys

from .conftest import REPO, run_tool


def test_dist_train_two_processes_on_cpu(tmp_path, tiny_config):
    work = str(tmp_path / 'work')
    result = run_tool(['bash', osp.join(REPO, 'tools', 'dist_train.sh'),
                       tiny_config, '2', '--work-dir', work,
                       '--cfg-options', 'train_cfg.max_iters=2',
                       'train_cfg.val_interval=100'],
                      timeout=600)
    log = result.stdout + result.stderr
    assert 'Distributed launcher: pytorch' in log
    assert 'Distributed training: True' in log
    assert "'backend': 'gloo'" in log
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    # MMEngine reports the world size as 'GPU number' (2 CPU processes here).
    assert 'GPU number: 2' in log


def test_mim_train_and_test(tmp_path, tiny_config):
    mim = shutil.which('mim', path=osp.dirname(sys.executable))
    assert mim is not None, 'mim (openmim) is not installed'
    work = str(tmp_path / 'work')
    run_tool([mim, 'train', 'docseg_mm', tiny_config, '--gpus', '0',
              '--work-dir', work, '--cfg-options', 'train_cfg.max_iters=2'],
             cwd=str(tmp_path))
    ckpt = osp.join(work, 'iter_2.pth')
    assert osp.isfile(ckpt)
    result = run_tool([mim, 'test', 'docseg_mm', tiny_config, '--checkpoint',
                       ckpt, '--gpus', '0', '--work-dir', work],
                      cwd=str(tmp_path))
    assert 'coco/bbox_mAP' in result.stdout + result.stderr


def test_mim_finds_packaged_config_by_basename():
    from mim.utils import get_installed_path, recursively_find
    name = 'mask-rcnn_r18_fpn_1xb4-400i_demo-doclaynet.py'
    root = get_installed_path('docseg_mm')
    found = recursively_find(root, name, followlinks=True)
    assert len(found) == 1 and osp.isfile(found[0])
    assert osp.isfile(osp.join(root, '.mim', 'tools', 'train.py'))
    basenames = [osp.basename(p) for p in glob.glob(
        osp.join(REPO, 'configs', '**', '*.py'), recursive=True)]
    assert len(basenames) == len(set(basenames)), 'config basenames clash'


def test_wheel_contains_mim_configs_and_tools(tmp_path):
    import subprocess
    import zipfile
    src = tmp_path / 'src'
    files = subprocess.run(['git', 'ls-files'], cwd=REPO, check=True,
                           capture_output=True, text=True).stdout.split()
    for f in files:
        (src / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(osp.join(REPO, f), src / f)
    run_tool([sys.executable, '-m', 'pip', 'wheel', '--no-deps',
              '--no-build-isolation', '-q', '-w', str(tmp_path / 'dist'),
              str(src)], cwd=str(tmp_path))
    wheel, = glob.glob(str(tmp_path / 'dist' / 'docseg_mm-*.whl'))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert 'docseg_mm/.mim/tools/train.py' in names
    assert 'docseg_mm/.mim/tools/test.py' in names
    assert ('docseg_mm/.mim/configs/demo/'
            'mask-rcnn_r18_fpn_1xb4-400i_demo-doclaynet.py') in names
    assert 'docseg_mm/.mim/configs/_base_/default_runtime.py' in names


# ---------------------------------------------------------------------------
# 2-process gloo DDP == 1 process with the doubled batch
# ---------------------------------------------------------------------------
DDP_ITERS = 8
DDP_REL_TOL = 1e-5  # float32 sums in another order; stated tolerance


def _toy_parts():
    """A small MLP regression model and 32 fixed samples (built the same
    way in every process)."""
    import torch
    from mmengine.model import BaseModel

    class ToyRegressor(BaseModel):

        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.net = torch.nn.Sequential(torch.nn.Linear(8, 16),
                                           torch.nn.Tanh(),
                                           torch.nn.Linear(16, 1))

        def forward(self, inputs, targets=None, mode='loss'):
            pred = self.net(inputs)
            if mode == 'loss':
                return dict(loss=((pred - targets)**2).mean())
            return pred

    g = torch.Generator().manual_seed(1)
    x = torch.randn(32, 8, generator=g)
    y = (x[:, :1] * 2 - x[:, 1:2]).tanh() + 0.1 * torch.randn(32, 1,
                                                               generator=g)
    data = [dict(inputs=x[i], targets=y[i]) for i in range(32)]
    return ToyRegressor(), data


def _toy_run(work_dir, batch_size, launcher):
    """Train the toy model with mmengine's Runner; return the loss of every
    iteration averaged over ranks (rank 0 writes them) and the weights."""
    import torch
    import torch.distributed as dist
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    losses = []

    class LossRecorder(Hook):

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            loss = outputs['loss'].detach().clone()
            if dist.is_available() and dist.is_initialized():
                dist.all_reduce(loss)
                loss /= dist.get_world_size()
            losses.append(loss.item())

    model, data = _toy_parts()
    runner = Runner(
        model=model,
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=data, batch_size=batch_size, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=False, max_iters=DDP_ITERS),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.2)),
        custom_hooks=[LossRecorder()],
        default_hooks=dict(checkpoint=None, logger=None),
        launcher=launcher,
        env_cfg=dict(dist_cfg=dict(backend='gloo'),
                     mp_cfg=dict(mp_start_method='spawn')),
        # CPU modules take no device_ids
        cfg=dict(model_wrapper_cfg=dict(type='MMDistributedDataParallel',
                                        device_ids=None)),
        randomness=dict(seed=0, deterministic=True),
        default_scope='docseg_mm')
    runner.train()
    net = runner.model.module.net if hasattr(runner.model, 'module') \
        else runner.model.net
    return losses, {k: v.detach().clone() for k, v in
                    net.state_dict().items()}


def _ddp_worker(rank, world, port, work_dir):
    import os
    import torch
    import torch.distributed as dist
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank),
                      WORLD_SIZE=str(world), MASTER_ADDR='127.0.0.1',
                      MASTER_PORT=str(port), OMP_NUM_THREADS='1')
    # mmengine's own init calls torch.cuda.set_device; it skips an
    # initialised group
    dist.init_process_group('gloo', rank=rank, world_size=world)
    losses, weights = _toy_run(work_dir, 2, 'pytorch')
    if rank == 0:
        torch.save(dict(losses=losses, weights=weights),
                   osp.join(work_dir, 'ddp.pt'))


def test_two_process_ddp_matches_one_process_doubled_batch(tmp_path):
    """Rank r sees samples r, r+2, ... (DefaultSampler); DDP averages the
    gradients, so 2 x batch 2 is one process with batch 4 up to float
    rounding: the loss curves agree within DDP_REL_TOL."""
    import socket
    import torch
    from ..multiprocess import run_workers
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    ddp_dir = str(tmp_path / 'ddp')
    run_workers(_ddp_worker, (2, port, ddp_dir), nprocs=2, timeout=240)
    ddp = torch.load(osp.join(ddp_dir, 'ddp.pt'))
    import multiprocessing
    method = multiprocessing.get_start_method(allow_none=True)
    try:  # in this process: the Runner sets the start method globally
        single_losses, single_weights = _toy_run(str(tmp_path / 'one'), 4,
                                                 'none')
    finally:
        multiprocessing.set_start_method(method, force=True)
    assert len(ddp['losses']) == len(single_losses) == DDP_ITERS
    # the curve goes down (it is a training run, not a constant)
    assert single_losses[-1] < 0.8 * single_losses[0]
    for i, (a, b) in enumerate(zip(ddp['losses'], single_losses)):
        assert abs(a - b) <= DDP_REL_TOL * abs(b), (i, a, b)
    for k, v in single_weights.items():
        torch.testing.assert_close(ddp['weights'][k], v, rtol=1e-5,
                                   atol=1e-6)
