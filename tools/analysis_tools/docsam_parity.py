# Copyright (c) docseg_mm contributors. All rights reserved.
"""Check that a converted DocSAM reproduces the original implementation.

Builds the original DocSAM (``models/mask2former`` of ORIGINAL_REPO_DIR, a
checkout of github.com/xhli-git/DocSAM) with random weights in a small
configuration, converts its state dict with docseg_mm's converter, runs
both on the same pages and class names (fixed random class-name embeddings
stand in for the sentence encoder on both sides: no hub access) and prints,
per decoder stage, ``max|original - docseg_mm| / max|original|`` of the
semantic logits, instance mask logits, boxes and class logits, with and
without query selection. Exits with status 1 if a score
(``abs / max(1, max|original|)``) exceeds the tolerance, 2 if the
original cannot be built (missing checkout or package).

Usage::

    python tools/analysis_tools/docsam_parity.py ORIGINAL_REPO_DIR \
        [--stages 2] [--init-std 0.02] [--tol 1e-3] [--seed 0] \
        [--only-query-selection] [--class-counts auto|equal|unequal] \
        [--break-key KEY]

The logic is :mod:`docseg_mm.models.converters.docsam_original`.
"""
import argparse
import sys
from typing import List, Optional

from docseg_mm.models.converters.docsam_original import check_docsam_parity
from docseg_mm.models.converters.parity import DEFAULT_TOL, exit_code


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Compare the original DocSAM with the converted '
        'docseg_mm model (random weights, small configuration).')
    parser.add_argument('repo', help='checkout of the original DocSAM')
    parser.add_argument('--stages', type=int, default=2,
                        help='decoder stages (the released models have 4)')
    parser.add_argument('--init-std', type=float, default=0.02,
                        help="the original's config.init_std")
    parser.add_argument('--tol', type=float, default=DEFAULT_TOL)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--only-query-selection', action='store_true',
                        help='skip the variant without query selection')
    parser.add_argument(
        '--class-counts', choices=['auto', 'equal', 'unequal'],
        default='auto', help='class names per page: auto = unequal with '
        'query selection, equal without (the original pads class slots '
        'with a float mask there, see configs/docsam/README.md)')
    parser.add_argument(
        '--break-key', default=None,
        help='add --break-delta to this docseg_mm parameter after loading '
        '(e.g. head.semantic_query_projection.bias): the check must fail')
    parser.add_argument('--break-delta', type=float, default=0.1)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    reports = []
    for qs in (True, ) if args.only_query_selection else (True, False):
        try:
            report = check_docsam_parity(
                args.repo, query_selection=qs,
                equal_class_counts=dict(auto=None, equal=True,
                                        unequal=False)[args.class_counts],
                num_stages=args.stages,
                init_std=args.init_std, seed=args.seed, tol=args.tol,
                break_key=args.break_key, break_delta=args.break_delta)
        except (FileNotFoundError, ImportError, KeyError) as e:
            print(f'error: {e}', file=sys.stderr)
            return 2
        print(report.format(), flush=True)
        reports.append(report)
    code = exit_code(reports)
    print('parity: ' + ('passed' if code == 0 else 'FAILED'))
    return code


if __name__ == '__main__':
    sys.exit(main())
