# Copyright (c) docseg_mm contributors. All rights reserved.
"""VOC 2012 + SBD -> SegmentationClassAug and train_aug split lists.

Usage:
    python tools/dataset_converters/voc_sbd_wsss.py \
        data/VOCdevkit/VOC2012 data/benchmark_RELEASE/dataset \
        [--original-list SLRNet/data/train_augvoc.txt]

See :func:`docseg_mm.datasets.converters.voc_sbd.build_voc_aug`.
"""
import argparse

from docseg_mm.datasets.converters.voc_sbd import build_voc_aug


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('voc_root', help='VOCdevkit/VOC2012')
    parser.add_argument('sbd_root', help='benchmark_RELEASE/dataset')
    parser.add_argument('--out-dir', default='SegmentationClassAug')
    parser.add_argument('--original-list',
                        help="SLRNet's train_augvoc.txt: also write its "
                        'labelled subset (its last 1464 lines)')
    args = parser.parse_args()
    stats = build_voc_aug(args.voc_root, args.sbd_root, args.out_dir,
                          args.original_list)
    for key, value in stats.items():
        print(f'{key:32s} {value}')


if __name__ == '__main__':
    main()
