# Copyright (c) docseg_mm contributors. All rights reserved.
"""Greedy decoding speed of a text recogniser with and without the decoder's
key/value cache, measured side by side in one run (words per second and the
ratio), on random 32x128 inputs and random weights.

Example::

    python tools/analysis_tools/recog_decode_speed.py \
        configs/dig/dig-recog_vit-s-p4_8xb256-10e_textocr-openimages.py \
        --batch-size 32 --repeats 3
"""
import argparse
import statistics
import time

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='recogniser config')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--repeats', type=int, default=3,
                        help='timed repetitions per side (median)')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    init_default_scope('docseg_mm')
    from docseg_mm.registry import MODELS
    cfg = Config.fromfile(args.config)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).eval()
    torch.manual_seed(0)
    h, w = model.backbone.img_size
    x = torch.randn(args.batch_size, 3, h, w)
    with torch.no_grad():
        memory = model.extract_feat(x)
        results = {}
        for use_cache in (False, True, False, True):  # interleaved
            model.decoder.decode_greedy(memory[:2], use_cache=use_cache)
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                out = model.decoder.decode_greedy(memory, use_cache=use_cache)
                times.append(time.perf_counter() - start)
            results.setdefault(use_cache, []).extend(times)
            results.setdefault(('out', use_cache), out[0])
    same = torch.equal(results[('out', True)], results[('out', False)])
    steps = model.decoder.max_seq_len
    print(f'{args.config}: batch {args.batch_size}, {steps} decoding steps, '
          f'{torch.get_num_threads()} threads')
    speeds = {}
    for use_cache in (False, True):
        med = statistics.median(results[use_cache])
        speeds[use_cache] = args.batch_size / med
        print(f'  greedy {"with" if use_cache else "without"} cache: '
              f'{med:.3f} s per batch, {speeds[use_cache]:.1f} words/s')
    print(f'  cache speed-up: {speeds[True] / speeds[False]:.2f}x '
          f'(identical outputs: {same})')


if __name__ == '__main__':
    main()
