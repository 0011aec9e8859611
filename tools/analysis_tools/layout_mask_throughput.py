# Copyright (c) docseg_mm contributors. All rights reserved.
"""Pages per second (one core) of SelfDocSeg's pseudo-layout mask generation.

Example:
    python tools/analysis_tools/layout_mask_throughput.py data/demo/unlabeled
"""
import argparse
import glob
import os.path as osp

import mmcv

from docseg_mm.datasets.transforms.layout_mask import layout_mask_throughput


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('folder', help='folder of page images')
    parser.add_argument('--max-pages', type=int, default=50)
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    paths = sorted(
        p for ext in ('png', 'jpg', 'jpeg', 'tif', 'tiff')
        for p in glob.glob(osp.join(args.folder, f'*.{ext}')))[:args.max_pages]
    if not paths:
        raise SystemExit(f'no page images in {args.folder}')
    pages = [mmcv.imread(p) for p in paths]
    print(f'{len(pages)} pages of {pages[0].shape[1]}x{pages[0].shape[0]}')
    for objects_on in ('grid', 'image'):
        rate = layout_mask_throughput(pages, repeats=args.repeats,
                                      objects_on=objects_on)
        print(f'objects_on={objects_on:5s}: {rate:8.1f} pages/s per core '
              '(resize to 512x640, threshold, erode, contours, 64x80 grid)')


if __name__ == '__main__':
    main()
