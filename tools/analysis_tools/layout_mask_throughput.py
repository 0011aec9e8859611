# Copyright (c) docseg_mm contributors. All rights reserved.
"""Pages per second (one core) of SelfDocSeg's pseudo-layout mask generation.

Runs ``PseudoLayoutMask`` and ``LayoutMaskToGrid`` on every page ``--repeats``
times with OpenCV limited to one thread, for both ``objects_on`` modes.

Example:
    python tools/analysis_tools/layout_mask_throughput.py data/demo/unlabeled
"""
import argparse
import glob
import os.path as osp
import time
from typing import Sequence, Tuple

import cv2
import mmcv
import numpy as np

from docseg_mm.datasets.transforms import LayoutMaskToGrid, PseudoLayoutMask


def layout_mask_throughput(images: Sequence[np.ndarray],
                           repeats: int = 1,
                           grid_size: Tuple[int, int] = (64, 80),
                           **cfg) -> float:
    """Pages per second of mask generation on one CPU thread.

    Runs :class:`PseudoLayoutMask` (``**cfg``) and :class:`LayoutMaskToGrid`
    on every image ``repeats`` times with OpenCV limited to one thread (the
    previous thread count is restored).

    Args:
        images (Sequence[np.ndarray]): BGR ``uint8`` pages.
        repeats (int): Passes over ``images``. Defaults to 1.
        grid_size (tuple[int, int]): ``(w, h)`` of the grid.
            Defaults to (64, 80).
        **cfg: Arguments of :class:`PseudoLayoutMask`.

    Returns:
        float: Pages per second.
    """
    if not images or repeats < 1:
        raise ValueError('need at least one image and one repeat')
    make = PseudoLayoutMask(**cfg)
    to_grid = LayoutMaskToGrid(grid_size=grid_size)
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        start = time.perf_counter()
        for _ in range(repeats):
            for img in images:
                to_grid(make(dict(img=img)))
        elapsed = time.perf_counter() - start
    finally:
        cv2.setNumThreads(threads)
    return len(images) * repeats / max(elapsed, 1e-9)


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
    threads = cv2.getNumThreads()
    for objects_on in ('grid', 'image'):
        rate = layout_mask_throughput(pages, repeats=args.repeats,
                                      objects_on=objects_on)
        print(f'objects_on={objects_on:5s}: {rate:8.1f} pages/s per core '
              '(resize to 512x640, threshold, erode, contours, 64x80 grid)')
    print(f'OpenCV threads restored: {cv2.getNumThreads() == threads}')


if __name__ == '__main__':
    main()
