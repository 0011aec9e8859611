# Copyright (c) docseg_mm contributors. All rights reserved.
"""Convert original SelfDocSeg weights into a docseg_mm checkpoint.

SRC is the Lightning ``.ckpt`` of the original pre-training (the whole
model, incl. the momentum branch, unless ``--backbone-only``) or an extracted
torchvision ResNet-50 ``.pth`` (``backbone.*`` only). The conversion is
:func:`docseg_mm.models.converters.selfdocseg.convert_file`; every source key
is mapped or dropped with a reason, printed below. SRC is read with safe
loading: a ``.ckpt`` that pickles other objects than tensors is refused with
the list of those objects.

Usage::

    python tools/model_converters/selfdocseg_to_docseg.py SRC DST \
        [--backbone-only] [--which online|momentum] \
        [--duplicate-source bb_feat|backbone] [--ema-steps N]
"""
import argparse
from typing import List, Optional

from docseg_mm.models.converters.selfdocseg import convert_file


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert original SelfDocSeg weights (Lightning .ckpt or '
        'extracted torchvision ResNet-50 .pth) to a docseg_mm checkpoint.')
    parser.add_argument('src', help='Lightning .ckpt or encoder .pth')
    parser.add_argument('dst', help='output docseg_mm checkpoint (.pth)')
    parser.add_argument(
        '--which', choices=('online', 'momentum'), default='online',
        help='encoder written as backbone.* with --backbone-only '
        '(Lightning checkpoints only)')
    parser.add_argument(
        '--backbone-only', action='store_true',
        help='write only backbone.* from a Lightning checkpoint (default: '
        'the whole SelfDocSeg model incl. the momentum branch)')
    parser.add_argument(
        '--duplicate-source', choices=('bb_feat', 'backbone'), default=None,
        help='which copy of the online encoder to keep if bb_feat.* and '
        'backbone.0.* differ (default: error)')
    parser.add_argument(
        '--ema-steps', type=int, default=1,
        help='value of target_net.steps (>= 1 keeps the momentum branch at '
        'the first EMA update; 0 re-copies it from the online branch)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    report = convert_file(
        args.src,
        args.dst,
        which=args.which,
        backbone_only=args.backbone_only,
        duplicate_source=args.duplicate_source,
        ema_steps=args.ema_steps)
    print(report.summary())
    print(f'saved to {args.dst}')


if __name__ == '__main__':
    main()
