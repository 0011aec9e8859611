# Copyright (c) docseg_mm contributors. All rights reserved.
"""Render the word images of the DiG demo (``make demo-dig``).

Writes ``OUT/{train,test,unlabeled}/*.png`` and ``OUT/{train,test}.txt``
(``<relative path>\\t<word>`` lines) with
:func:`docseg_mm.demo_data.synth_words.generate_rendered_words`; an identical
existing set is reused.

Example::

    python tools/misc/generate_demo_words.py --out data/demo/rendered_words
"""
import argparse

from docseg_mm.demo_data.synth_words import generate_rendered_words


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/demo/rendered_words')
    parser.add_argument('--num-train', type=int, default=20000)
    parser.add_argument('--num-test', type=int, default=1000)
    parser.add_argument('--num-unlabeled', type=int, default=10000)
    parser.add_argument('--max-len', type=int, default=12, help='longest word')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='re-render even if an identical set exists')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    out = generate_rendered_words(
        args.out,
        num_train=args.num_train,
        num_test=args.num_test,
        num_unlabeled=args.num_unlabeled,
        max_len=args.max_len,
        seed=args.seed,
        overwrite=args.overwrite)
    n = out['num_words']
    what = 'reused' if out['reused'] else 'rendered'
    print(f'{what} {out["root"]} in {out["seconds"]:.1f} s: '
          f'{n["train"]} train, {n["test"]} test, {n["unlabeled"]} '
          'unlabeled words')


if __name__ == '__main__':
    main()
