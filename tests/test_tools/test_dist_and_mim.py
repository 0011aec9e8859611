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
