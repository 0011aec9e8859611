# Copyright (c) docseg_mm contributors. All rights reserved.
"""Run a model on page images, folders and PDFs.

Example:
    python tools/infer.py paper.pdf scans/ 'more/**/*.png' \
        --config configs/demo/mask-rcnn_r18_fpn_1xb4-400i_demo-doclaynet.py \
        --checkpoint work_dirs/demo/random_init/iter_400.pth \
        --out-dir outputs/ --batch-size 4 --pages 1-3,7

Writes ``results.coco.json`` (the whole run, COCO with scores and
polygons), ``preds/<page>.json`` (regions in pixels and, for PDF pages,
PDF points with the PDF's text), ``vis/<page>.jpg``, ``sem/<page>.png``
(semantic models), ``pages/`` (rendered PDF pages), ``errors.json`` and
``summary.json``. Exit status: 0 all pages done, 2 some failed (the others
are written), 1 none could be predicted or bad arguments.
"""
import argparse
import sys

from mmengine.config import DictAction

from docseg_mm.apis import InputError, infer_documents


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Segment page images, folders and PDFs with a docseg_mm '
        'model')
    parser.add_argument(
        'inputs', nargs='+', help='image files, folders (searched '
        'recursively), glob patterns (quote them) and PDF files')
    parser.add_argument(
        '--config', help='config file or metafile model name (default: the '
        'config saved in the checkpoint)')
    parser.add_argument('--checkpoint', required=True, help='checkpoint file')
    parser.add_argument('--out-dir', default='outputs/infer',
                        help='output folder (default: outputs/infer)')
    parser.add_argument('--device', default=None,
                        help='cpu, cuda, cuda:1 ... (default: cuda if '
                        'available)')
    parser.add_argument('--batch-size', type=int, default=4,
                        help='pages per forward pass (default: 4)')
    parser.add_argument('--pages', default=None,
                        help='pages of PDFs / multi-page TIFFs, e.g. 1-3,7 '
                        'or 5- (default: all)')
    parser.add_argument('--dpi', type=float, default=150.,
                        help='PDF rendering resolution (default: 150)')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='smallest kept score (default: 0.3)')
    parser.add_argument(
        '--classes', nargs='+', default=None,
        help='DocSAM: the class names to segment (any names); other models: '
        'keep only these of their classes')
    parser.add_argument(
        '--class-embeddings', default=None,
        help='DocSAM: class-name embeddings file (tools/misc/'
        'docsam_embed_class_names.py) used instead of the text model')
    parser.add_argument('--background', default=None,
                        help="DocSAM: background prompt (default: "
                        "'_background_')")
    parser.add_argument('--no-vis', action='store_true',
                        help='do not draw pictures')
    parser.add_argument('--no-text', action='store_true',
                        help='do not read the text layer of PDF pages')
    parser.add_argument('--no-progress', action='store_true',
                        help='no progress bar')
    parser.add_argument('--num-workers', type=int, default=1,
                        choices=[0, 1],
                        help='background page-loading thread (default: 1)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, xxx=yyy pairs')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        report = infer_documents(
            args.inputs, args.config, args.checkpoint, args.out_dir,
            device=args.device, batch_size=args.batch_size, pages=args.pages,
            dpi=args.dpi, score_thr=args.score_thr, classes=args.classes,
            class_embeddings=args.class_embeddings,
            background=args.background, vis=not args.no_vis,
            with_text=not args.no_text, num_workers=args.num_workers,
            cfg_options=args.cfg_options,
            show_progress=not args.no_progress)
    except (InputError, ValueError, FileNotFoundError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(report.summary())
    return report.exit_code


if __name__ == '__main__':
    sys.exit(main())
