# Copyright (c) docseg_mm contributors. All rights reserved.
"""Build a text-recognition LMDB from an image folder and a label file.

The database has the standard keys ``num-samples``, ``image-%09d`` (the image
files' bytes) and ``label-%09d`` (UTF-8). Label lines are
``<path relative to IMG_ROOT>\\t<transcription>``; without ``--labels`` every
image under IMG_ROOT is written without labels (for pretraining). Skipped
inputs (bad lines, non-UTF-8 labels, missing or undecodable images, empty or
over-long words) are counted and printed.

Example::

    python tools/dataset_converters/words_to_lmdb.py data/demo/words \
        work_dirs/lmdb/train --labels data/demo/words/train.txt \
        --max-word-len 23
"""
import argparse
import sys

from docseg_mm.datasets.converters import write_recog_lmdb


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('img_root', help='image folder')
    parser.add_argument('out_dir', help='output LMDB directory')
    parser.add_argument('--labels', help='label file (omit: unlabeled)')
    parser.add_argument('--max-word-len', type=int, default=None,
                        help='skip longer words')
    parser.add_argument('--no-check', action='store_true',
                        help='do not decode the images to check them')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    written, skipped = write_recog_lmdb(
        args.img_root, args.out_dir, label_file=args.labels,
        max_word_len=args.max_word_len, check_images=not args.no_check)
    print(f'{args.out_dir}: {written} records written')
    for key, count in sorted(skipped.items()):
        print(f'  skipped {key}: {count}')
    if written == 0:
        print(f'{args.out_dir}: the database is EMPTY', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
