# Copyright (c) docseg_mm contributors. All rights reserved.
"""Print the metrics of the newest test run in a work directory and where its
prediction pictures are.

Usage: python tools/misc/summarize_run.py WORK_DIR
"""
import argparse
import glob
import json
import os.path as osp
from typing import Dict, Optional, Tuple


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


def format_table(metrics: Dict[str, float]) -> str:
    """Format ``coco/{bbox,segm}_{mAP,...}`` values as a text table."""
    cols = ['mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l']
    rows = []
    for task in ('bbox', 'segm'):
        vals: list = [metrics.get(f'coco/{task}_{c}') for c in cols]
        if all(v is None for v in vals):
            continue
        rows.append([task] + ['-' if v is None else f'{v:.3f}' for v in vals])
    header = ['task'] + cols
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]

    def fmt(row: list) -> str:
        return ' | '.join(c.rjust(w) for c, w in zip(row, widths))

    sep = '-+-'.join('-' * w for w in widths)
    return '\n'.join([fmt(header), sep] + [fmt(r) for r in rows])


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('work_dir')
    args = parser.parse_args(argv)
    run_dir, metrics = newest_test_run(args.work_dir)
    print('\nCOCO metrics on the validation pages:')
    print(format_table(metrics))
    pictures = sorted(glob.glob(osp.join(run_dir, '**', '*.png'),
                            recursive=True))
    if pictures:
        print(f'\n{len(pictures)} prediction pictures (left: ground truth, '
              f'right: prediction) in {osp.dirname(pictures[0])}')


if __name__ == '__main__':
    main()
