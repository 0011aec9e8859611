# Copyright (c) docseg_mm contributors. All rights reserved.
"""Write semantic masks and page-level tags from a COCO instance file.

Example (DocLayNet, duplicates with ``precedence != 0`` dropped)::

    python tools/dataset_converters/coco_to_semantic.py \
        data/DocLayNet/COCO/train.json data/DocLayNet/SEM \
        --tags data/DocLayNet/SEM/train_tags.json --doclaynet
"""
import argparse

from docseg_mm.datasets.ann_checks import has_zero_precedence
from docseg_mm.datasets.converters import coco_to_semantic


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='COCO instance annotation file')
    parser.add_argument('out_dir', help='folder for <image stem>.png masks')
    parser.add_argument('--tags', help='write the page tags json here')
    parser.add_argument(
        '--classes', nargs='+', help='class names in label order '
        '(default: the categories in id order)')
    parser.add_argument(
        '--border', type=int, default=1,
        help='half-width of the ignored band along outlines (0: none)')
    parser.add_argument(
        '--doclaynet', action='store_true',
        help='drop annotations with precedence != 0 (DocLayNet duplicates)')
    return parser.parse_args()


def main():
    args = parse_args()
    keep = has_zero_precedence if args.doclaynet else None
    stats = coco_to_semantic(args.ann_file, args.out_dir, args.tags,
                             args.classes, args.border, keep)
    print(f'{stats["images"]} masks written to {args.out_dir} '
          f'({stats["annotations"]} annotations painted)')


if __name__ == '__main__':
    main()
