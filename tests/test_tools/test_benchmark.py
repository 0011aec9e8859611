# Copyright (c) docseg_mm contributors. All rights reserved.
import json
import os.path as osp
import sys

from .conftest import REPO, run_tool


def test_benchmark_prints_table_and_writes_json(tmp_path, tiny_config):
    out = str(tmp_path / 'bench.json')
    result = run_tool([
        sys.executable,
        osp.join(REPO, 'tools', 'analysis_tools', 'benchmark.py'), tiny_config,
        '--train-iters', '2', '--infer-images', '2', '--warmup', '1',
        '--out', out
    ])
    with open(out) as f:
        res = json.load(f)
    assert res['device'] == 'cpu'
    assert res['train_batch_size'] == 2
    assert res['train_step_s'] > 0 and res['infer_image_s'] > 0
    assert res['infer_images'] == 2
    # Images per second follow from the medians.
    assert abs(res['train_images_per_s'] * res['train_step_s'] - 2) < 1e-6
    assert abs(res['infer_images_per_s'] * res['infer_image_s'] - 1) < 1e-6
    # A process running torch holds well over 50 MiB resident.
    assert res['train_peak_mem_mib'] > 50 and res['infer_peak_mem_mib'] > 50
    assert 'train_step_s' in result.stdout and out in result.stdout
