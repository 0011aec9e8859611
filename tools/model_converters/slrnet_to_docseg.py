# Copyright (c) docseg_mm contributors. All rights reserved.
"""Convert released SLRNet checkpoints (or the WideResNet-38 ImageNet
weights) into docseg_mm checkpoints.

SRC is a ``checkpoint{i}.pth.tar`` of the official code (449 tensors: every
key is mapped or dropped with a reason, printed below) or, with
``--wrn38-imagenet``, ``ilsvrc-cls_rna-a1_cls1000_ep-0001.pth`` (written
under ``backbone.`` for ``init_cfg=dict(type='Pretrained', ...)``). The
conversion is :func:`docseg_mm.models.converters.slrnet.convert_file`.
SRC is read with safe loading: a file that pickles other objects than
tensors (e.g. a full optimizer object) is refused with their list.

Usage::

    python tools/model_converters/slrnet_to_docseg.py SRC DST \
        [--wrn38-imagenet]
"""
import argparse
from typing import List, Optional

from docseg_mm.models.converters.slrnet import convert_file


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert SLRNet checkpoints / WRN-38 ImageNet weights.')
    parser.add_argument('src', help='SLRNet checkpoint or WRN-38 .pth')
    parser.add_argument('dst', help='output docseg_mm checkpoint (.pth)')
    parser.add_argument('--wrn38-imagenet', action='store_true',
                        help='SRC is the WideResNet-38 ImageNet file')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    report = convert_file(args.src, args.dst, args.wrn38_imagenet)
    print(report.summary())
    print(f'saved to {args.dst}')


if __name__ == '__main__':
    main()
