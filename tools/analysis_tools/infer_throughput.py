# Copyright (c) docseg_mm contributors. All rights reserved.
"""Pages per second of ``tools/infer.py`` against a per-image loop, and of
PDF rendering, measured in one run.

Three ways over the same page images, the model built once per way and
not timed:

* ``infer batch B``: :func:`docseg_mm.apis.infer_documents` (what
  ``tools/infer.py`` calls) with ``--batch-size B``, writing its JSON / COCO
  outputs (pictures only with ``--vis``);
* ``infer batch 1``: the same with batch size 1;
* ``loop``: ``init_model`` once, then ``inference_model`` on each image
  (mmdet's ``inference_detector`` pattern; no outputs written), with the
  config as it is, and, for mmdet detectors, once more with the config's
  test ``score_thr`` raised to ``--score-thr`` (what ``tools/infer.py``
  does while it predicts), which separates that effect from batching.

Rounds alternate the ways, so a change in machine load hits all of them;
the best round of each is reported. With ``--pdf``, every page of the
given PDFs is rendered with :class:`PdfPageReader` at ``--dpi`` with and
without reading the text layer.

Example:
    python tools/analysis_tools/infer_throughput.py \
        configs/demo/mask-rcnn_r18_fpn_1xb4-400i_demo-doclaynet.py \
        work_dirs/demo/random_init/iter_400.pth data/demo/PNG \
        --num-pages 16 --batch-size 4 --pdf data/demo/PDF/val_doc000*.pdf
"""
import argparse
import tempfile
import time
from typing import Dict, List

from docseg_mm.apis import (collect_sources, infer_documents,
                            inference_model, init_model)
from docseg_mm.apis.pdf_pages import PdfPageReader, count_pdf_pages


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('inputs', nargs='+',
                        help='page image files or folders')
    parser.add_argument('--num-pages', type=int, default=16)
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--score-thr', type=float, default=0.3)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--vis', action='store_true',
                        help='let infer.py draw pictures too')
    parser.add_argument('--pdf', nargs='*', default=[],
                        help='PDFs whose pages are rendered')
    parser.add_argument('--dpi', type=float, default=150.)
    return parser.parse_args()


def run_infer(args, pages: List[str], batch_size: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        report = infer_documents(pages, args.config, args.checkpoint, out,
                                 device=args.device, batch_size=batch_size,
                                 score_thr=args.score_thr, vis=args.vis,
                                 show_progress=False)
    if report.errors or report.num_pages != len(pages):
        raise RuntimeError(report.summary())
    return report.num_pages / report.seconds


def thr_option(cfg) -> str:
    """The config key of an mmdet detector's test score threshold."""
    test_cfg = cfg.model.get('test_cfg') or {}
    if isinstance(test_cfg.get('rcnn'), dict) and \
            'score_thr' in test_cfg['rcnn']:
        return 'model.test_cfg.rcnn.score_thr'
    if 'score_thr' in test_cfg and cfg.model.get('bbox_head'):
        return 'model.test_cfg.score_thr'
    return ''


def run_loop(model, pages: List[str]) -> float:
    start = time.perf_counter()
    for page in pages:
        inference_model(model, page)
    return len(pages) / (time.perf_counter() - start)


def render_rate(pdfs: List[str], dpi: float, with_text: bool) -> float:
    reader = PdfPageReader(dpi=dpi, with_text=with_text)
    num = 0
    start = time.perf_counter()
    for pdf in pdfs:
        for page in range(1, count_pdf_pages(pdf) + 1):
            reader.render(pdf, page)
            num += 1
    elapsed = time.perf_counter() - start
    reader.close()
    return num / elapsed


def main() -> None:
    args = parse_args()
    sources, errors = collect_sources(args.inputs)
    pages = [s.path for s in sources if s.kind == 'image'][:args.num_pages]
    if not pages:
        raise SystemExit(f'no page images in {args.inputs}: {errors}')
    print(f'{len(pages)} pages, device {args.device}, '
          f'batch size {args.batch_size}, {args.rounds} round(s)')
    model = init_model(args.config, args.checkpoint, args.device)
    inference_model(model, pages[0])  # warm-up
    loop = 'loop init_model/inference_model'
    ways = {f'infer batch {args.batch_size}':
            lambda: run_infer(args, pages, args.batch_size),
            'infer batch 1': lambda: run_infer(args, pages, 1),
            loop: lambda: run_loop(model, pages)}
    thr_key = thr_option(model.cfg)
    if thr_key:
        thr_model = init_model(args.config, args.checkpoint, args.device,
                               cfg_options={thr_key: args.score_thr})
        ways[f'{loop} ({thr_key.split(".", 2)[-1]}={args.score_thr:g})'] = \
            lambda: run_loop(thr_model, pages)
    best: Dict[str, float] = {}
    for r in range(args.rounds):
        for name, way in ways.items():
            rate = way()
            print(f'  round {r + 1} {name:50s}: {rate:6.2f} pages/s')
            best[name] = max(best.get(name, 0.), rate)
    print('best of rounds:')
    for name, rate in best.items():
        print(f'  {name:50s}: {rate:6.2f} pages/s')
    for name, rate in best.items():
        if name != loop:
            print(f'ratio {name} / loop: {rate / best[loop]:.2f}x')
    if args.pdf:
        for with_text in (False, True):
            rate = render_rate(args.pdf, args.dpi, with_text)
            print(f'PDF rendering at {args.dpi:g} dpi'
                  f'{" + text layer" if with_text else ""}: '
                  f'{rate:.2f} pages/s')


if __name__ == '__main__':
    main()
