# Copyright (c) docseg_mm contributors. All rights reserved.
"""Convert a released DocSAM checkpoint into a docseg_mm checkpoint.

The conversion is :func:`docseg_mm.models.converters.docsam.convert_file`
(the key mapping is documented there). The output holds ``meta``,
``state_dict`` and ``docsam_unused`` (source tensors not used by the
docseg_mm model, with the reason in ``meta['unused']``).

Usage::

    python tools/model_converters/docsam_to_docseg.py SRC DST \
        [--no-text-encoder]
"""
import argparse
from typing import List, Optional

from docseg_mm.models.converters.docsam import convert_file


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a released DocSAM state dict (HF Mask2Former + '
        'Swin) to a docseg_mm checkpoint.')
    parser.add_argument(
        'src', help='DocSAM .pth (e.g. '
        'docsam_base_all_dataset.pth)')
    parser.add_argument('dst', help='output docseg_mm checkpoint (.pth)')
    parser.add_argument(
        '--no-text-encoder',
        action='store_true',
        help='move the MiniLM text encoder to docsam_unused (for models run '
        'with precomputed class-name embeddings)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    summary = convert_file(
        args.src, args.dst, drop_text_encoder=args.no_text_encoder)
    print(summary)
    print(f'saved to {args.dst}')


if __name__ == '__main__':
    main()
