# Copyright (c) docseg_mm contributors. All rights reserved.
"""Print the word accuracies of the DiG demo runs side by side.

Usage: python tools/misc/summarize_dig_demo.py NAME=WORK_DIR ...

Each WORK_DIR holds a ``tools/test.py`` run of the demo recogniser on one
or more held-out word sets (per-set metrics of ``TextRecogMetric``, e.g.
``rendered`` and ``pages``, plus ``all``).
"""
import glob
import json
import os.path as osp
import sys
from typing import Dict

COLUMNS = (('word_acc_ignore_case_symbol', 'word acc'),
           ('word_acc', 'exact'), ('1-N.E.D', '1-NED'))


def newest_metrics(work_dir: str) -> Dict[str, float]:
    """Recognition metrics of the newest test run under ``work_dir``."""
    for run in sorted(glob.glob(osp.join(work_dir, '2*')), reverse=True):
        log = osp.join(run, osp.basename(run) + '.json')
        if osp.isfile(log):
            with open(log) as f:
                rows = [json.loads(line) for line in f if line.strip()]
            found = [r for r in rows if any(k.startswith('recog/') for k in r)]
            if found:
                return found[-1]
    raise FileNotFoundError(f'no test metrics under {work_dir}')


def main() -> None:
    runs = [arg.split('=', 1) for arg in sys.argv[1:]]
    print(f'{"init":<8s} {"held-out words":<22s}' +
          ''.join(f' {title:>9s}' for _, title in COLUMNS))
    for name, path in runs:
        metrics = newest_metrics(path)
        sets = sorted({k.split('/')[1] for k in metrics
                       if k.count('/') == 2 and
                       k.split('/')[1] not in ('all', 'mean')})
        for set_name in (['all'] + sets if sets else ['']):
            prefix = f'recog/{set_name}/' if set_name else 'recog/'
            vals = ''.join(f' {metrics[prefix + key]:9.3f}'
                           for key, _ in COLUMNS)
            print(f'{name:<8s} {set_name or "all":<22s}{vals}')


if __name__ == '__main__':
    main()
