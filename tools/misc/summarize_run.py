# Copyright (c) docseg_mm contributors. All rights reserved.
"""Print the metrics of the newest test run of one or more work directories
(side by side) and where their prediction pictures are.

Usage: python tools/misc/summarize_run.py WORK_DIR [WORK_DIR ...] [--names ...]
"""
import argparse
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Tuple


def newest_test_run(work_dir: str) -> Tuple[str, Dict[str, float]]:
    """Return the newest ``<timestamp>`` folder holding test metrics and them."""
    for run_dir in sorted(glob.glob(osp.join(work_dir, '2*')), reverse=True):
        name = osp.basename(run_dir)
        log = osp.join(run_dir, f'{name}.json')
        if not osp.isfile(log):
            continue
        with open(log) as f:
            lines = [json.loads(line) for line in f if line.strip()]
        metrics = [d for d in lines if any('mAP' in k for k in d)]
        if metrics:
            return run_dir, metrics[-1]
    raise FileNotFoundError(f'no test metrics found under {work_dir}')


def format_table(runs: List[Tuple[str, Dict[str, float]]]) -> str:
    """Format ``coco/{bbox,segm}_{mAP,...}`` values of named runs."""
    cols = ['mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l']
    rows = []
    for name, metrics in runs:
        for task in ('bbox', 'segm'):
            vals: list = [metrics.get(f'coco/{task}_{c}') for c in cols]
            if all(v is None for v in vals):
                continue
            rows.append([name, task] +
                        ['-' if v is None else f'{v:.3f}' for v in vals])
    header = ['run', 'task'] + cols
    widths = [max(len(r[i]) for r in rows + [header])
              for i in range(len(header))]

    def fmt(row: list) -> str:
        return ' | '.join(c.rjust(w) for c, w in zip(row, widths))

    sep = '-+-'.join('-' * w for w in widths)
    return '\n'.join([fmt(header), sep] + [fmt(r) for r in rows])


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('work_dirs', nargs='+')
    parser.add_argument('--names', nargs='+', help='one label per work dir')
    args = parser.parse_args(argv)
    names = args.names or [osp.basename(osp.normpath(d))
                           for d in args.work_dirs]
    if len(names) != len(args.work_dirs):
        parser.error('give one name per work dir')
    runs, folders = [], []
    for name, work_dir in zip(names, args.work_dirs):
        run_dir, metrics = newest_test_run(work_dir)
        runs.append((name, metrics))
        pictures = sorted(glob.glob(osp.join(run_dir, '**', '*.png'),
                                    recursive=True))
        if pictures:
            folders.append(f'{name}: {len(pictures)} prediction pictures '
                           '(left: ground truth, right: prediction) in '
                           f'{osp.dirname(pictures[0])}')
    print('\nCOCO metrics on the validation pages:')
    print(format_table(runs))
    if folders:
        print()
        print('\n'.join(folders))


if __name__ == '__main__':
    main()
