# Copyright (c) docseg_mm contributors. All rights reserved.
"""Measure training-step and inference speed and peak memory of a config.

Prints a table and writes JSON. Timings are medians after warm-up; on CPU the
peak memory is the process's resident set size sampled during each phase, on
GPU it is ``torch.cuda.max_memory_allocated``.

With several configs, they are measured one after the other in the same
process and the table adds each one's ratio to the first config. With
``--interleave`` their training steps alternate instead (config 1, 2, ..., then
the reverse order, step after step), so that a machine shared with other jobs
slows both sides alike; peak training memory is then not measured (the models
live in one process): measure it in a run without ``--interleave``.

Example:
    python tools/analysis_tools/benchmark.py CONFIG --train-iters 10 \
        --infer-images 20 --out benchmark.json
    python tools/analysis_tools/benchmark.py SELFDOCSEG_CFG BYOL_CFG \
        --infer-images 0 --cfg-options train_dataloader.batch_size=2
    python tools/analysis_tools/benchmark.py BASELINE_CFG CFG \
        --infer-images 0 --interleave
"""
import argparse
import json
import os.path as osp
import statistics
import tempfile
import threading
import time
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional

import psutil
import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark a config')
    parser.add_argument('config', nargs='+', help='config file path(s)')
    parser.add_argument('--checkpoint', help='weights to load (optional)')
    parser.add_argument('--train-iters', type=int, default=10,
                        help='measured training steps')
    parser.add_argument('--infer-images', type=int, default=20,
                        help='measured inference images (batch size 1)')
    parser.add_argument('--warmup', type=int, default=3,
                        help='untimed steps before each phase')
    parser.add_argument('--device', default=None,
                        help='cpu or cuda; defaults to cuda when available')
    parser.add_argument('--out', default=None, help='JSON output file')
    parser.add_argument(
        '--interleave', action='store_true',
        help='alternate the training steps of the configs (robust ratios '
        'on a busy machine; no training peak memory)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, xxx=yyy pairs')
    return parser.parse_args()


class PeakMemory:
    """Peak memory over a phase (GPU allocator or sampled CPU RSS)."""

    def __init__(self, device: str, interval: float = 0.005) -> None:
        self.device = device
        self.interval = interval
        self.peak_mib = 0.0

    @contextmanager
    def track(self) -> Iterator['PeakMemory']:
        if self.device.startswith('cuda'):
            torch.cuda.reset_peak_memory_stats()
            yield self
            self.peak_mib = torch.cuda.max_memory_allocated() / 2**20
            return
        proc = psutil.Process()
        stop = threading.Event()
        peak = [proc.memory_info().rss]

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], proc.memory_info().rss)
                time.sleep(self.interval)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()
            self.peak_mib = peak[0] / 2**20


def timed(fn: Callable[[], None], device: str) -> float:
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    return time.perf_counter() - start


class TrainSteps:
    """Timed training steps of one config (model, optimizer, data)."""

    def __init__(self, runner: Runner, cfg: Config, total: int,
                 device: str) -> None:
        # Momentum schedules (e.g. mmpretrain's CosineEMA) read the run length.
        if runner.message_hub.get_info('max_iters') is None:
            runner.message_hub.update_info('max_iters', total)
        self.model = runner.model
        self.optim_wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
        self.loader = iter(runner.build_dataloader(cfg.train_dataloader))
        self.batch = cfg.train_dataloader.batch_size
        self.device = device
        self.times: List[float] = []

    def step(self, record: bool) -> None:
        """Run (and, if ``record``, time) one training step."""
        data = next(self.loader)
        self.model.train()
        t = timed(lambda: self.model.train_step(data, self.optim_wrapper),
                  self.device)
        if record:
            self.times.append(t)

    def results(self) -> Dict[str, float]:
        median = statistics.median(self.times)
        return dict(
            train_step_s=median,
            train_batch_size=self.batch,
            train_images_per_s=self.batch / median)


def build_runner(cfg: Config, device: str) -> Runner:
    runner = Runner.from_cfg(cfg)
    if cfg.get('load_from'):
        runner.load_checkpoint(cfg.load_from, map_location='cpu')
    runner.model.to(device)
    return runner


def benchmark(cfg: Config,
              train_iters: int,
              infer_images: int,
              warmup: int,
              device: str,
              runner: Optional[Runner] = None) -> Dict[str, float]:
    """Run both phases and return the measurements."""
    runner = runner or build_runner(cfg, device)
    model = runner.model
    results: Dict[str, float] = dict(device=device)

    if train_iters > 0:
        steps = TrainSteps(runner, cfg, warmup + train_iters, device)
        mem = PeakMemory(device)
        with mem.track():
            for i in range(warmup + train_iters):
                steps.step(record=i >= warmup)
        results.update(steps.results(), train_peak_mem_mib=mem.peak_mib)

    if infer_images > 0:
        test_loader_cfg = cfg.test_dataloader.copy()
        test_loader_cfg['batch_size'] = 1
        loader = runner.build_dataloader(test_loader_cfg)
        model.eval()
        times = []
        mem = PeakMemory(device)
        with mem.track(), torch.no_grad():
            for i, data in enumerate(loader):
                if i >= warmup + infer_images:
                    break
                t = timed(lambda: model.test_step(data), device)
                if i >= warmup:
                    times.append(t)
        results.update(
            infer_image_s=statistics.median(times),
            infer_images_per_s=1.0 / statistics.median(times),
            infer_images=len(times),
            infer_peak_mem_mib=mem.peak_mib)
    return results


def format_table(rows: List[Dict[str, float]]) -> str:
    keys = [k for k in rows[0] if k != 'config']
    header = ['metric'] + [r['config'] for r in rows]
    if len(rows) > 1:
        header += [f'ratio {i + 1}/1' for i in range(1, len(rows))]
    lines = []
    for k in keys:
        vals = [r.get(k) for r in rows]
        line = [k] + [f'{v:.4f}' if isinstance(v, float) else str(v)
                      for v in vals]
        if len(rows) > 1:
            line += [(f'{v / vals[0]:.3f}' if isinstance(v, float)
                      and isinstance(vals[0], float) and vals[0] else '-')
                     for v in vals[1:]]
        lines.append(line)
    widths = [max(len(r[i]) for r in lines + [header])
              for i in range(len(header))]
    fmt = lambda r: ' | '.join(c.ljust(w) for c, w in zip(r, widths))  # noqa
    return '\n'.join([fmt(header), '-+-'.join('-' * w for w in widths)] +
                     [fmt(r) for r in lines])


def main() -> None:
    args = parse_args()
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    from docseg_mm.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfgs = []
    for config in args.config:
        cfg = Config.fromfile(config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        cfg.work_dir = tempfile.mkdtemp(prefix='docseg_bench_')
        cfg.load_from = args.checkpoint
        cfgs.append(cfg)
    rows = []
    if args.interleave and args.train_iters > 0:
        runners = [build_runner(cfg, device) for cfg in cfgs]
        total = args.warmup + args.train_iters
        steps = [
            TrainSteps(r, cfg, total, device) for r, cfg in zip(runners, cfgs)
        ]
        for i in range(total):
            for s in (steps if i % 2 == 0 else steps[::-1]):
                s.step(record=i >= args.warmup)
        for cfg, runner, s in zip(cfgs, runners, steps):
            results = benchmark(cfg, 0, args.infer_images, args.warmup,
                                device, runner)
            results.update(s.results(), interleaved=True)
            rows.append(results)
    else:
        for cfg in cfgs:
            rows.append(
                benchmark(cfg, args.train_iters, args.infer_images,
                          args.warmup, device))
    for row, config in zip(rows, args.config):
        row['config'] = osp.splitext(osp.basename(config))[0]
    print(format_table(rows))
    out = args.out or osp.join(tempfile.mkdtemp(prefix='docseg_bench_'),
                               'benchmark.json')
    with open(out, 'w') as f:
        json.dump(rows if len(rows) > 1 else rows[0], f, indent=2)
    print(f'written to {out}')


if __name__ == '__main__':
    main()
