# Copyright (c) docseg_mm contributors. All rights reserved.
"""Convert DINO / Leopart ViT-S/16 or released AlignSeg weights.

Examples::

    # DINO backbone for AlignSeg training (model.backbone.init_cfg)
    python tools/model_converters/alignseg_to_docseg.py \
        dino_deitsmall16_pretrain.pth dino_vits16_docseg.pth
    # released AlignSeg checkpoint for tools/test.py
    python tools/model_converters/alignseg_to_docseg.py epoch10.pth \
        alignseg_voc_docseg.pth

Prints what happened to every source key (mapped / dropped with a reason).
See :mod:`docseg_mm.models.converters.alignseg`.
"""
import argparse

from docseg_mm.models.converters.alignseg import LAYOUTS, convert_file


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='DINO / Leopart / AlignSeg checkpoint')
    parser.add_argument('dst', help='output docseg_mm checkpoint')
    parser.add_argument('--layout', choices=LAYOUTS,
                        help='source layout (default: detected from keys)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    report = convert_file(args.src, args.dst, args.layout)
    print(report.summary())
    print(f'written to {args.dst}')


if __name__ == '__main__':
    main()
