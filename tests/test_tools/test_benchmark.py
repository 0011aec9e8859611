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


def test_benchmark_interleaved_configs(tiny_config, monkeypatch):
    """``interleave`` alternates the configs' training steps in one process
    (1, 2, then 2, 1, ...) and reports each one's median."""
    from docseg_mm.engine import benchmark as tool
    from docseg_mm.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    order = []
    step = tool.TrainSteps.step

    def recording_step(self, record):
        order.append((self.tag, record))
        step(self, record)

    init = tool.TrainSteps.__init__

    def tagged_init(self, runner, cfg, total, device):
        init(self, runner, cfg, total, device)
        self.tag = cfg.work_dir

    monkeypatch.setattr(tool.TrainSteps, 'step', recording_step)
    monkeypatch.setattr(tool.TrainSteps, '__init__', tagged_init)
    monkeypatch.chdir(REPO)
    cfgs = tool.load_configs([tiny_config, tiny_config])
    rows = tool.run_benchmarks(cfgs, train_iters=2, infer_images=0,
                               warmup=1, device='cpu', interleave=True)
    assert len(rows) == 2
    first, second = order[0][0], order[1][0]
    assert first != second
    assert [t for t, _ in order] == [first, second, second, first, first,
                                     second]
    assert [r for _, r in order] == [False] * 2 + [True] * 4
    for row in rows:
        assert row['interleaved'] is True
        assert row['train_step_s'] > 0
        assert 'train_peak_mem_mib' not in row
        assert len(row['train_step_times']) == 2
        assert len(row['train_step_cpu_times']) == 2
        assert all(t > 0 for t in row['train_step_cpu_times'])
    # step-by-step ratios to the first config
    first, second = rows
    ratios = [a / b for a, b in zip(second['train_step_times'],
                                    first['train_step_times'])]
    assert second['train_ratio_min'] == min(ratios)
    assert second['train_ratio_max'] == max(ratios)
    assert first['train_ratio_median'] == 1.0
    cpu = [a / b for a, b in zip(second['train_step_cpu_times'],
                                 first['train_step_cpu_times'])]
    assert abs(second['train_cpu_ratio_median'] - sum(cpu) / 2) < 1e-12


def test_paired_ratios():
    from docseg_mm.engine.benchmark import paired_ratios
    out = paired_ratios([2.0, 9.0, 3.0], [1.0, 3.0, 2.0])
    assert out == dict(
        train_ratio_median=2.0, train_ratio_min=1.5, train_ratio_max=3.0)
    assert set(paired_ratios([1.0], [1.0], 'x')) == {
        'x_median', 'x_min', 'x_max'
    }


def test_benchmark_interleaved_paired_ratio(tiny_config, monkeypatch):
    """``train_ratio_median`` is the median of the per-round ratios
    (here 3, 2, 4 -> 3), not the ratio of the medians (12 / 3 = 4)."""
    from docseg_mm.engine import benchmark as tool
    from docseg_mm.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    # calls in the order of the interleaved steps: warm-up round (1, 2),
    # then rounds (2, 1), (1, 2), (2, 1)
    clock = iter([1., 1., 12., 4., 3., 6., 12., 3.])

    def fake_timed(fn, device):
        fn()
        return next(clock)

    monkeypatch.setattr(tool, 'timed', fake_timed)
    monkeypatch.chdir(REPO)
    cfgs = tool.load_configs([tiny_config, tiny_config])
    rows = tool.run_benchmarks(cfgs, train_iters=3, infer_images=0,
                               warmup=1, device='cpu', interleave=True)
    # config 1: 4, 3, 3 -> median 3; config 2: 12, 6, 12 -> median 12;
    # per round: 12 / 4, 6 / 3, 12 / 3
    assert rows[0]['train_step_s'] == 3. and rows[1]['train_step_s'] == 12.
    assert rows[0]['train_ratio_median'] == 1.
    assert rows[1]['train_ratio_median'] == 3.
