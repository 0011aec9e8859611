# Copyright (c) docseg_mm contributors. All rights reserved.
"""Command line of ``python -m docseg_mm.demo_data`` and
``tools/misc/generate_demo_data.py``."""
import argparse
from typing import Dict, Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse the generator's command line."""
    parser = argparse.ArgumentParser(
        description='Typeset the synthetic DocLayNet-style demo document '
        'set.')
    parser.add_argument('--out', default='data/demo', help='output folder')
    parser.add_argument('--num-train', type=int, default=240)
    parser.add_argument('--num-val', type=int, default=60)
    parser.add_argument('--num-unlabeled', type=int, default=100)
    parser.add_argument('--num-per-page-type', type=int, default=20)
    parser.add_argument('--dpi', type=float, default=96.0,
                        help='rendering resolution (page sizes are real)')
    parser.add_argument('--words-per-page', type=int, default=8,
                        help='word crops per train/val/unlabeled page')
    parser.add_argument('--no-pdf', action='store_true',
                        help='do not keep the train/val PDFs')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--workers', type=int, default=None,
                        help='rendering processes (default: 1)')
    parser.add_argument('--overwrite', action='store_true',
                        help='re-render even if an identical set exists')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    """Entry point of the CLI; prints what was written and how long it took."""
    from .classes import PAGE_TYPES
    from .generator import generate_demo_dataset
    args = parse_args(argv)
    out = generate_demo_dataset(
        args.out, num_train=args.num_train, num_val=args.num_val,
        num_unlabeled=args.num_unlabeled,
        num_per_page_type=args.num_per_page_type, dpi=args.dpi,
        words_per_page=args.words_per_page, write_pdf=not args.no_pdf,
        seed=args.seed, overwrite=args.overwrite, workers=args.workers)
    n = out['num_images']
    w = out['num_words'] or {}
    what = 'reused existing' if out['reused'] else 'wrote'
    pages = sum(n.values())
    rate = '' if out['reused'] else \
        f', {pages / max(out["seconds"], 1e-9):.1f} pages/s'
    print(f'{what} demo set in {out["root"]} ({out["seconds"]:.1f} s{rate}):'
          f'\n  {out["train_json"]} ({n["train"]} pages)\n'
          f'  {out["val_json"]} ({n["val"]} pages)\n'
          f'  {out["png_dir"]}/ ({n["train"] + n["val"]} PNGs), '
          f'{out["pdf_dir"]}/, {out["sem_dir"]}/\n'
          f'  {out["unlabeled_dir"]}/ ({n["unlabeled"]} PNGs)\n'
          f'  {out["page_types_dir"]}/ ({n["page_types"]} PNGs in '
          f'{len(PAGE_TYPES)} page types)\n'
          f'  {out["words_dir"]}/ ({w.get("train", 0)} train, '
          f'{w.get("val", 0)} val, {w.get("unlabeled", 0)} unlabeled word '
          'crops)')
    return out
