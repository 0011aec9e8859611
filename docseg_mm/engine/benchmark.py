# Copyright (c) docseg_mm contributors. All rights reserved.
"""Training-step and inference speed and peak memory of configs, measured
side by side (the library of ``tools/analysis_tools/benchmark.py``).

Timings are medians after warm-up; on CPU the peak memory is the process's
resident set size sampled during each phase, on GPU it is
``torch.cuda.max_memory_allocated``. With ``interleave=True`` the training
steps of several configs alternate (config 1, 2, ..., then the reverse order,
step after step), so that a machine shared with other jobs slows both sides
alike, and each config gets ``train_ratio_median`` (``_min``, ``_max``): the
median over the rounds of its step time over the first config's step time in
the same round (a load change between rounds cancels out; ``train_cpu_ratio_*``
the same from CPU time); peak training memory is then not measured.
"""
import statistics
import tempfile
import threading
import time
from contextlib import contextmanager
from typing import (Callable, Dict, Iterator, List, Optional, Sequence,
                    Tuple)

import psutil
import torch
from mmengine.config import Config
from mmengine.runner import Runner


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


def timed_cpu(fn: Callable[[], None], device: str) -> Tuple[float, float]:
    """Wall time and the process's CPU time of ``fn`` (CPU time, summed
    over threads, hardly depends on other jobs sharing the cores)."""
    cpu = time.process_time()
    wall = timed(fn, device)
    return wall, time.process_time() - cpu


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
        self.cpu_times: List[float] = []

    def step(self, record: bool) -> None:
        """Run (and, if ``record``, time) one training step."""
        data = next(self.loader)
        self.model.train()
        t, cpu = timed_cpu(
            lambda: self.model.train_step(data, self.optim_wrapper),
            self.device)
        if record:
            self.times.append(t)
            self.cpu_times.append(cpu)

    def results(self) -> Dict[str, float]:
        median = statistics.median(self.times)
        extra = {}
        if not self.device.startswith('cuda'):
            extra = dict(
                train_step_cpu_s=statistics.median(self.cpu_times),
                train_step_cpu_times=list(self.cpu_times))
        return dict(
            train_step_s=median,
            train_step_times=list(self.times),
            **extra,
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


def paired_ratios(times: Sequence[float],
                  reference: Sequence[float],
                  prefix: str = 'train_ratio') -> Dict[str, float]:
    """Spread of the step-by-step ratios of two interleaved configs.

    Step ``i`` of one config ran right next to step ``i`` of the reference,
    so ``times[i] / reference[i]`` compares the two under the same load.

    Args:
        times (Sequence[float]): Step times of a config.
        reference (Sequence[float]): Step times of the first config.
        prefix (str): Key prefix. Defaults to ``'train_ratio'``.

    Returns:
        dict: ``{prefix}_median``, ``{prefix}_min`` and ``{prefix}_max`` of
        the per-step ratios (1.0 for the reference itself).
    """
    ratios = [t / r for t, r in zip(times, reference)]
    return {
        f'{prefix}_median': statistics.median(ratios),
        f'{prefix}_min': min(ratios),
        f'{prefix}_max': max(ratios)
    }


def format_table(rows: List[Dict[str, float]]) -> str:
    keys = [
        k for k in rows[0]
        if k != 'config' and not isinstance(rows[0][k], (list, tuple))
    ]
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


def load_configs(paths: Sequence[str],
                 cfg_options: Optional[dict] = None,
                 checkpoint: Optional[str] = None) -> List[Config]:
    """Configs to measure, each with a fresh temporary work dir.

    Args:
        paths (Sequence[str]): Config files.
        cfg_options (dict, optional): Overrides merged into each config.
            Defaults to None.
        checkpoint (str, optional): Weights to load. Defaults to None.

    Returns:
        list[Config]: The configs.
    """
    cfgs = []
    for path in paths:
        cfg = Config.fromfile(path)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        cfg.work_dir = tempfile.mkdtemp(prefix='docseg_bench_')
        cfg.load_from = checkpoint
        cfgs.append(cfg)
    return cfgs


def run_benchmarks(cfgs: Sequence[Config],
                   train_iters: int,
                   infer_images: int,
                   warmup: int,
                   device: str,
                   interleave: bool = False) -> List[Dict[str, float]]:
    """Measure each config; one result row per config.

    Args:
        cfgs (Sequence[Config]): Configs (see :func:`load_configs`).
        train_iters (int): Measured training steps.
        infer_images (int): Measured inference images (batch size 1).
        warmup (int): Untimed steps before each phase.
        device (str): ``'cpu'`` or ``'cuda'``.
        interleave (bool): Alternate the configs' training steps and add
            ``train_ratio_*`` / ``train_cpu_ratio_*`` (median, min, max of
            the per-round step-time ratios to the first config).
            Defaults to False.

    Returns:
        list[dict]: Measurements per config.
    """
    rows = []
    if interleave and train_iters > 0:
        runners = [build_runner(cfg, device) for cfg in cfgs]
        total = warmup + train_iters
        steps = [
            TrainSteps(r, cfg, total, device) for r, cfg in zip(runners, cfgs)
        ]
        for i in range(total):
            for s in (steps if i % 2 == 0 else steps[::-1]):
                s.step(record=i >= warmup)
        for cfg, runner, s in zip(cfgs, runners, steps):
            results = benchmark(cfg, 0, infer_images, warmup, device, runner)
            results.update(s.results(), interleaved=True)
            results.update(paired_ratios(s.times, steps[0].times))
            if s.cpu_times:
                results.update(
                    paired_ratios(s.cpu_times, steps[0].cpu_times,
                                  'train_cpu_ratio'))
            rows.append(results)
    else:
        for cfg in cfgs:
            rows.append(
                benchmark(cfg, train_iters, infer_images, warmup, device))
    return rows
