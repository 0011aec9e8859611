# Copyright (c) docseg_mm contributors. All rights reserved.
"""Measure training-step and inference speed and peak memory of a config.

Prints a table and writes JSON. Timings are medians after warm-up; on CPU the
peak memory is the process's resident set size sampled during each phase, on
GPU it is ``torch.cuda.max_memory_allocated``.

With several configs, they are measured one after the other in the same
process and the table adds each one's ratio to the first config. With
``--interleave`` their training steps alternate instead (config 1, 2, ..., then
the reverse order, step after step), so that a machine shared with other jobs
slows both sides alike, and the table adds ``train_ratio_median`` (min, max),
the median over the rounds of each config's step time over the first one's in
the same round (``train_cpu_ratio_*`` from CPU time); peak training memory is
then not measured (the models live in one process): measure it in a run
without ``--interleave``.

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
import tempfile

import torch
from mmengine.config import DictAction

from docseg_mm.engine.benchmark import (format_table, load_configs,
                                        run_benchmarks)


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


def main() -> None:
    args = parse_args()
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    from docseg_mm.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfgs = load_configs(args.config, args.cfg_options, args.checkpoint)
    rows = run_benchmarks(cfgs, args.train_iters, args.infer_images,
                          args.warmup, device, args.interleave)
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
