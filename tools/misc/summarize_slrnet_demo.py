# Copyright (c) docseg_mm contributors. All rights reserved.
"""Print the mIoU of the SLRNet demo runs side by side.

Usage: python tools/misc/summarize_slrnet_demo.py NAME=WORK_DIR ...
(the first run is the reference of the ratio column, e.g. full=...).
"""
import glob
import json
import os.path as osp
import sys


def newest_miou(work_dir: str) -> float:
    """mIoU (%) of the newest test run under ``work_dir``."""
    for run in sorted(glob.glob(osp.join(work_dir, '2*')), reverse=True):
        log = osp.join(run, osp.basename(run) + '.json')
        if osp.isfile(log):
            with open(log) as f:
                rows = [json.loads(line) for line in f if line.strip()]
            found = [r['mIoU'] for r in rows if 'mIoU' in r]
            if found:
                return float(found[-1])
    raise FileNotFoundError(f'no test mIoU under {work_dir}')


def main() -> None:
    runs = [arg.split('=', 1) for arg in sys.argv[1:]]
    values = [(name, newest_miou(path)) for name, path in runs]
    ref_name, ref = values[0]
    print(f'{"run":<10s} {"val mIoU":>9s} {"/ " + ref_name:>10s}')
    for name, miou in values:
        print(f'{name:<10s} {miou:9.2f} {miou / ref if ref else 0:10.2f}')


if __name__ == '__main__':
    main()
