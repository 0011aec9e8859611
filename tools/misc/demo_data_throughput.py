# Copyright (c) docseg_mm contributors. All rights reserved.
"""Measure the demo generator's throughput with 1 and N worker processes.

Example::

    python tools/misc/demo_data_throughput.py --pages 48 --workers 2

Prints pages/s and pages/s per core of both runs and their ratio. Run it on
a quiet machine: the numbers scale with the CPU time you get.
"""
import argparse

from docseg_mm.demo_data.throughput import measure_throughput


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--pages', type=int, default=48)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--dpi', type=float, default=96.0)
    parser.add_argument('--words-per-page', type=int, default=8)
    args = parser.parse_args()
    runs = {}
    for w in sorted({1, args.workers}):
        r = measure_throughput(args.pages, args.dpi, args.words_per_page, w)
        runs[w] = r
        print(f'workers={w}: {r["pages"]} pages in {r["seconds"]:.1f} s = '
              f'{r["pages_per_s"]:.2f} pages/s, '
              f'{r["pages_per_s_per_core"]:.2f} pages/s per core')
    if len(runs) > 1:
        ratio = runs[args.workers]['pages_per_s'] / runs[1]['pages_per_s']
        print(f'speed-up with {args.workers} workers: {ratio:.2f}x')


if __name__ == '__main__':
    main()
