# Copyright (c) docseg_mm contributors. All rights reserved.
"""tools/train.py and tools/test.py end to end on generated pages."""
import glob
import json
import os.path as osp
import pickle
import signal
import subprocess
import sys
import time

import torch

from .conftest import REPO, run_tool, tool_env, write_tiny_config

TRAIN = osp.join(REPO, 'tools', 'train.py')
TEST = osp.join(REPO, 'tools', 'test.py')


def checkpoint_iter(path: str) -> int:
    from docseg_mm.utils import load_checkpoint_file
    return load_checkpoint_file(path)['meta']['iter']


def test_train_then_test_writes_metrics_pictures_and_predictions(
        tmp_path, tiny_config):
    work = str(tmp_path / 'work')
    run_tool([sys.executable, TRAIN, tiny_config, '--work-dir', work])
    ckpt = osp.join(work, 'iter_4.pth')
    assert osp.isfile(ckpt) and checkpoint_iter(ckpt) == 4

    out_pkl = str(tmp_path / 'preds.pkl')
    run_tool([sys.executable, TEST, tiny_config, ckpt, '--work-dir', work,
              '--show-dir', 'vis', '--out', out_pkl])
    with open(out_pkl, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 4  # one entry per validation page
    assert {'pred_instances', 'img_id'} <= set(preds[0])
    pictures = glob.glob(osp.join(work, '*', 'vis', '*.png'))
    assert len(pictures) == 4
    logs = glob.glob(osp.join(work, '*', '*.json'))
    metrics = [json.loads(line) for log in logs for line in open(log)]
    coco = [m for m in metrics if 'coco/bbox_mAP' in m]
    assert coco and 0.0 <= coco[-1]['coco/bbox_mAP'] <= 1.0
    assert 'coco/segm_mAP' in coco[-1]

    summary = run_tool([sys.executable, 'tools/misc/summarize_run.py', work])
    assert 'bbox' in summary.stdout and 'segm' in summary.stdout
    assert 'prediction pictures' in summary.stdout


def test_killed_training_resumes_from_last_checkpoint(tmp_path, tiny_data):
    """SIGKILL mid-run, ``--resume``: the same weights as an uninterrupted
    run (deterministic mode; Mask R-CNN's RPN/RoI samplers draw from the
    global torch RNG, restored by RNGStateHook)."""
    config = write_tiny_config(str(tmp_path / 'tiny_resume.py'), tiny_data,
                               iters=10)
    with open(config, 'a') as f:
        f.write('randomness = dict(seed=0, deterministic=True)\n')
    work = str(tmp_path / 'work')
    proc = subprocess.Popen(
        [sys.executable, TRAIN, config, '--work-dir', work], cwd=REPO,
        env=tool_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    deadline = time.time() + 300
    last_file = osp.join(work, 'last_checkpoint')
    # kill once mmengine has finished a checkpoint of iteration >= 4 (the
    # last_checkpoint pointer is written after the file)
    while not (osp.isfile(last_file) and
               open(last_file).read().strip().endswith(
                   ('iter_4.pth', 'iter_6.pth', 'iter_8.pth'))):
        assert proc.poll() is None, 'training ended before it was killed'
        assert time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not osp.isfile(osp.join(work, 'iter_10.pth'))
    last = open(osp.join(work, 'last_checkpoint')).read().strip()
    done = checkpoint_iter(last)
    assert 4 <= done < 10

    result = run_tool([sys.executable, TRAIN, config, '--work-dir', work,
                       '--resume'])
    log = result.stdout + result.stderr
    assert f'resumed epoch: 0, iter: {done}' in log
    # The resumed run starts after the checkpoint, not at iteration 1.
    assert 'Iter(train) [ 1/10]' not in log
    assert f'Iter(train) [{done + 1:>2}/10]' in log
    assert checkpoint_iter(osp.join(work, 'iter_10.pth')) == 10

    # the same 10 iterations without interruption
    straight = str(tmp_path / 'straight')
    run_tool([sys.executable, TRAIN, config, '--work-dir', straight])
    from docseg_mm.utils import load_checkpoint_file
    resumed = load_checkpoint_file(osp.join(work, 'iter_10.pth'))
    uninterrupted = load_checkpoint_file(osp.join(straight, 'iter_10.pth'))
    a, b = resumed['state_dict'], uninterrupted['state_dict']
    assert a.keys() == b.keys()
    differing = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differing, f'{len(differing)} tensors differ, e.g. ' \
        f'{differing[:3]}: max |diff| ' \
        f'{max((a[k] - b[k]).abs().max().item() for k in differing)}'
    # and training did move the weights away from the resumed checkpoint
    at_kill = load_checkpoint_file(last)['state_dict']
    assert any(not torch.equal(at_kill[k], a[k]) for k in a)
