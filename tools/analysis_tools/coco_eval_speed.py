# Copyright (c) docseg_mm contributors. All rights reserved.
"""COCO evaluation time of pycocotools and faster-coco-eval, side by side in
one run, on a synthetic DocLayNet-val-sized set (6,489 pages, ~14 regions
each; polygon ground truth, predictions with boxes and RLE masks, see
``docseg_mm.testing.synthetic_coco``).

Per IoU type the evaluators run ``evaluate + accumulate + summarize`` (the
part the metrics' ``backend`` option changes) on freshly loaded results,
the sides alternating over ``--repeats``; ``loadRes`` (common to both) is
timed apart. faster-coco-eval computes mask IoUs in a thread pool: it is
timed with 1 thread (same CPU budget as pycocotools) and with its default.
The script checks that the 12 stats agree.

Example::

    nice -n 10 python tools/analysis_tools/coco_eval_speed.py
    python tools/analysis_tools/coco_eval_speed.py --num-images 650
"""
import argparse
import contextlib
import io
import statistics
import time

import numpy as np
from pycocotools.coco import COCO

from docseg_mm.evaluation.functional import get_coco_eval_class
from docseg_mm.testing.synthetic_coco import synthetic_coco

#: side name -> (backend, RLE-IoU worker threads; None = the package's)
SIDES = {
    'pycocotools': ('pycocotools', None),
    'faster (1 thread)': ('faster_coco_eval', 1),
    'faster (default)': ('faster_coco_eval', None),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num-images', type=int, default=6489,
                        help='pages (DocLayNet val has 6,489)')
    parser.add_argument('--instances', type=float, default=14,
                        help='mean regions per page')
    parser.add_argument('--iou-types', nargs='+', default=['bbox', 'segm'])
    parser.add_argument('--max-dets', type=int, nargs='+',
                        default=[100, 300, 1000],
                        help='params.maxDets (mmdet CocoMetric default)')
    parser.add_argument('--repeats', type=int, default=1,
                        help='timed runs per side (median)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def load(gt: dict, results: list, iou_type: str):
    """Fresh ground-truth and result COCO objects (evaluators annotate
    them in place)."""
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = dict(gt, annotations=[dict(a) for a in gt['annotations']])
        coco.createIndex()
        preds = [dict(r) for r in results]
        if iou_type == 'segm':
            for p in preds:
                p.pop('bbox')
        return coco, coco.loadRes(preds)


def evaluate(side: str, gt: dict, results: list, iou_type: str,
             max_dets: list):
    """Time one evaluation; returns (seconds, loadRes seconds, stats)."""
    backend, workers = SIDES[side]
    start = time.perf_counter()
    coco, dets = load(gt, results, iou_type)
    load_s = time.perf_counter() - start
    with contextlib.redirect_stdout(io.StringIO()):
        start = time.perf_counter()
        ev = get_coco_eval_class(backend)(coco, dets, iou_type)
        if workers is not None:
            ev.rle_iou_max_workers = workers
        ev.params.maxDets = list(max_dets)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        seconds = time.perf_counter() - start
    return seconds, load_s, np.asarray(ev.stats)


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    gt, results = synthetic_coco(
        args.num_images, args.instances, seed=args.seed)
    print(f'synthetic set: {len(gt["images"])} pages, '
          f'{len(gt["annotations"])} GT, {len(results)} predictions '
          f'(generated in {time.perf_counter() - start:.1f} s); '
          f'maxDets {args.max_dets}')
    for iou_type in args.iou_types:
        times = {side: [] for side in SIDES}
        loads, stats = [], {}
        for _ in range(args.repeats):
            for side in SIDES:
                sec, load_s, stats[side] = evaluate(side, gt, results,
                                                    iou_type, args.max_dets)
                times[side].append(sec)
                loads.append(load_s)
        ref = stats['pycocotools']
        diff = max(float(np.abs(s - ref).max()) for s in stats.values())
        base = statistics.median(times['pycocotools'])
        print(f'\n[{iou_type}] loadRes {statistics.median(loads):.1f} s '
              f'(common); max |stats difference| {diff:.1e}; '
              f'stats {np.round(ref, 3).tolist()}')
        for side, values in times.items():
            sec = statistics.median(values)
            print(f'  {side:<20} {sec:8.2f} s   pycocotools / this = '
                  f'{base / sec:5.2f}x')


if __name__ == '__main__':
    main()
