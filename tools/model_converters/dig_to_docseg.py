# Copyright (c) docseg_mm contributors. All rights reserved.
"""Convert a released DiG checkpoint (pretraining or fine-tuned recogniser)
into a docseg_mm checkpoint and print where every tensor went.

The conversion is :func:`docseg_mm.models.converters.dig.convert_file`. SRC
is read with safe loading: besides tensors only the ``argparse.Namespace``
of the training arguments is allowed; a file pickling anything else is
refused with the list of objects.

Examples::

    # pretraining -> DiG algorithm (its backbone.* initialises fine-tuning)
    python tools/model_converters/dig_to_docseg.py dig_pretrain.pth \
        checkpoints/dig_vit-s_pretrain.pth
    # fine-tuned recogniser, rows ordered for the config's dictionary
    python tools/model_converters/dig_to_docseg.py dig_finetune.pth \
        checkpoints/dig-recog_vit-s.pth \
        --config configs/dig/dig-recog_vit-s-p4_8xb256-10e_textocr-openimages.py
"""
import argparse
from typing import List, Optional

from docseg_mm.models.converters.dig import convert_file


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='released DiG checkpoint')
    parser.add_argument('dst', help='output docseg_mm checkpoint')
    parser.add_argument('--config', help='recogniser config whose dictionary '
                        'orders the embedding/classifier rows (default: '
                        "DiG's 94 characters in mmocr's token order)")
    parser.add_argument('--model-key', default='model',
                        help='entry of the file holding the weights')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    kind, report = convert_file(args.src, args.dst, args.config,
                                args.model_key)
    print(f'{args.src}: DiG {kind} checkpoint')
    print(report.summary())
    print(f'saved to {args.dst}')


if __name__ == '__main__':
    main()
