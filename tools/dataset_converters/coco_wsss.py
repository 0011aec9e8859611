# Copyright (c) docseg_mm contributors. All rights reserved.
"""COCO 2014 -> semantic masks, image labels and split lists for WSSS.

Expects ``ROOT/{train2014,val2014}/*.jpg`` and
``ROOT/annotations/instances_{train,val}2014.json``; writes
``ROOT/SEM/<split>/<stem>.png`` (0 background, i + 1 = COCO class i, crowd
regions 255, no outline band), ``ROOT/SEM/<split>_tags.json`` and
``ROOT/SEM/<split>.txt`` for :class:`docseg_mm.datasets.COCOWSSSDataset`.

Usage: python tools/dataset_converters/coco_wsss.py data/coco2014
"""
import argparse
import json
import os.path as osp

from docseg_mm.datasets import COCO_CLASSES
from docseg_mm.datasets.converters import coco_to_semantic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('root', help='COCO 2014 root')
    parser.add_argument('--splits', nargs='+',
                        default=['train2014', 'val2014'])
    args = parser.parse_args()
    for split in args.splits:
        ann = osp.join(args.root, 'annotations', f'instances_{split}.json')
        sem = osp.join(args.root, 'SEM', split)
        stats = coco_to_semantic(
            ann, sem, osp.join(args.root, 'SEM', f'{split}_tags.json'),
            COCO_CLASSES, border=0)
        with open(ann) as f:
            names = [im['file_name'] for im in json.load(f)['images']]
        with open(osp.join(args.root, 'SEM', f'{split}.txt'), 'w') as f:
            f.write(''.join(osp.splitext(n)[0] + '\n' for n in names))
        print(f'{split}: {stats["images"]} masks, {stats["annotations"]} '
              f'annotations painted -> {sem}')


if __name__ == '__main__':
    main()
