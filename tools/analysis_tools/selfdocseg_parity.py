# Copyright (c) docseg_mm contributors. All rights reserved.
"""Check that a converted SelfDocSeg reproduces the original pretraining
model, before and after momentum (EMA) updates.

Builds the original ``SelfDocSeg`` LightningModule of ORIGINAL_REPO_DIR
(``pretraining/train_ssl.py`` of github.com/MaitySubhajit/SelfDocSeg) with
random weights (the momentum branch with its own parameters and BatchNorm
statistics, as a trained checkpoint), converts its state dict with
docseg_mm's converter and compares, in eval mode on the same pages, the
online outputs (C5, layout mask, z, p) and the momentum outputs (C5, z, BN
running statistics): A right after conversion, B after one momentum update,
C after train-mode momentum passes and a second update. Prints
``max|original - docseg_mm| / max|original|`` per output and exits with
status 1 if a score (``abs / max(1, max|original|)``) exceeds the
tolerance, 2 if the original cannot be built (missing checkout or lightly).

The original needs a few lightly pieces: an installed ``lightly``, or
``--lightly-dir DIR/lightly`` after
``pip install --no-deps --target DIR lightly==1.2.35``.

Usage::

    python tools/analysis_tools/selfdocseg_parity.py ORIGINAL_REPO_DIR \
        [--lightly-dir DIR] [--tol 1e-3] [--seed 0] [--break-key KEY]

The logic is :mod:`docseg_mm.models.converters.selfdocseg_original`.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from docseg_mm.models.converters.parity import DEFAULT_TOL, exit_code
from docseg_mm.models.converters.selfdocseg_original import \
    check_selfdocseg_parity
from docseg_mm.models.converters.selfdocseg_parity import CONFIG

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Compare the original SelfDocSeg with the converted '
        'docseg_mm model (random weights).')
    parser.add_argument('repo', help='checkout of the original SelfDocSeg')
    parser.add_argument('--lightly-dir', default=None,
                        help='lightly package folder, used if lightly '
                        'cannot be imported')
    parser.add_argument('--config', default=osp.join(ROOT, CONFIG),
                        help='docseg_mm SelfDocSeg config')
    parser.add_argument('--tol', type=float, default=DEFAULT_TOL)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--break-key', default=None,
        help='add --break-delta to this docseg_mm parameter after loading '
        '(e.g. neck.fc1.bias): the check must fail')
    parser.add_argument('--break-delta', type=float, default=0.1)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        report = check_selfdocseg_parity(
            args.repo, lightly_dir=args.lightly_dir, config=args.config,
            seed=args.seed, tol=args.tol, break_key=args.break_key,
            break_delta=args.break_delta)
    except (FileNotFoundError, ImportError, KeyError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(report.format())
    code = exit_code([report])
    print('parity: ' + ('passed' if code == 0 else 'FAILED'))
    return code


if __name__ == '__main__':
    sys.exit(main())
