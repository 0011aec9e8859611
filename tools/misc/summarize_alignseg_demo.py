# Copyright (c) docseg_mm contributors. All rights reserved.
"""Print AlignSeg next to k-means on the same frozen ViT (three protocols)
from the newest ``tools/test.py`` run of a work directory.

Usage: python tools/misc/summarize_alignseg_demo.py WORK_DIR \
    [--num-clusters 5] [--over-k 12 24 48] [--num-classes 12]
"""
import argparse

from docseg_mm.evaluation.cluster_report import (comparison_rows,
                                                 format_comparison,
                                                 newest_test_metrics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dir')
    parser.add_argument('--num-clusters', type=int, default=5)
    parser.add_argument('--over-k', type=int, nargs='+', default=[12, 24, 48])
    parser.add_argument('--num-classes', type=int, default=12)
    args = parser.parse_args()
    run_dir, metrics = newest_test_metrics(args.work_dir)
    rows = comparison_rows(args.num_clusters, args.over_k, args.num_classes)
    print(f'AlignSeg vs k-means baseline (mIoU %), from {run_dir}:')
    print(format_comparison(metrics, rows))
    print(f'prediction pictures (ground truth | clusters): {run_dir}/vis')


if __name__ == '__main__':
    main()
