# Copyright (c) docseg_mm contributors. All rights reserved.
"""Peak memory and time per sample of loading a large JPEG page with and
without reduced decoding (``LoadDocImageFromFile(reduce_to=...)``), side by
side in one run.

A synthetic page (default 6000x8000, w x h, text-like blocks) is written as
JPEG; each variant runs ``LoadDocImageFromFile`` + ``mmdet.Resize`` (the
training pipeline's first steps, keep ratio to ``--scale``) on it in a
fresh Python process, so the peak resident set size (``ru_maxrss``) of one
variant is not hidden by the other's. Reported per variant: the peak RSS
added by the samples over the process's level after imports and a warm-up
on a small page, the tracemalloc peak (numpy buffers; cv2's internal
decoder buffers are not traced), and the median time per sample.

Example::

    python tools/analysis_tools/large_page_decode.py --repeats 3
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time

VARIANTS = ('full', 'reduced')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--width', type=int, default=6000)
    parser.add_argument('--height', type=int, default=8000)
    parser.add_argument('--scale', type=int, nargs=2, default=(1333, 800),
                        help='keep-ratio resize scale of the pipeline')
    parser.add_argument('--repeats', type=int, default=3,
                        help='timed samples per variant (median)')
    parser.add_argument('--quality', type=int, default=90)
    parser.add_argument('--child', nargs=2, metavar=('VARIANT', 'JPEG'),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def write_page(path: str, width: int, height: int, quality: int) -> None:
    """A white page with dark text-like stripes and a grey figure block."""
    import cv2
    import numpy as np
    rng = np.random.default_rng(0)
    page = np.full((height, width, 3), 250, np.uint8)
    line_h = max(height // 200, 4)
    for y in range(height // 10, height * 6 // 10, line_h * 2):
        x2 = int(width * rng.uniform(0.6, 0.9))
        noise = rng.integers(0, 90, (line_h, x2 - width // 10, 1),
                             dtype=np.uint8)
        page[y:y + line_h, width // 10:x2] = noise
    page[height * 2 // 3:height * 9 // 10, width // 5:width * 4 // 5] = \
        rng.integers(60, 200, 3, dtype=np.uint8)
    ok, buf = cv2.imencode('.jpg', page, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    with open(path, 'wb') as f:
        f.write(buf.tobytes())


def child(variant: str, path: str, scale, repeats: int) -> dict:
    """Measure one variant in this (fresh) process."""
    import resource
    import tracemalloc

    import cv2
    import numpy as np
    from mmcv.transforms import Compose
    from mmengine.registry import init_default_scope

    from docseg_mm.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    init_default_scope('docseg_mm')
    with open(path, 'rb') as f:
        from PIL import Image
        with Image.open(f) as im:
            width, height = im.size
    reduce_to = tuple(scale) if variant == 'reduced' else None
    pipeline = Compose([
        dict(type='LoadDocImageFromFile', reduce_to=reduce_to),
        dict(type='mmdet.Resize', scale=tuple(scale), keep_ratio=True)
    ])

    def sample(img_path, w, h):
        box = [w * 0.1, h * 0.1, w * 0.9, h * 0.6]
        return dict(img_path=img_path, img_id=0, width=w, height=h,
                    instances=[dict(bbox=box, bbox_label=0, ignore_flag=0)])

    small = path + '.small.jpg'
    cv2.imwrite(small, np.full((400, 300, 3), 200, np.uint8))
    pipeline(sample(small, 300, 400))  # warm-up: lazy imports, cv2 pools
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    times, shape = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = pipeline(sample(path, width, height))
        times.append(time.perf_counter() - start)
        shape = tuple(out['img'].shape)
        decoded = out.get('file_shape') and out['ori_shape']
        del out
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return dict(variant=variant, seconds=statistics.median(times),
                rss_mb=(peak_rss - base_rss) / 1024,
                traced_mb=traced_peak / 2**20, out_shape=shape,
                decoded_shape=decoded or (height, width))


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.scale,
                               args.repeats)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'page.jpg')
        write_page(path, args.width, args.height, args.quality)
        print(f'page {args.width}x{args.height} (w x h) JPEG, '
              f'{os.path.getsize(path) / 2**20:.1f} MiB; pipeline '
              f'LoadDocImageFromFile + mmdet.Resize({tuple(args.scale)}, '
              f'keep_ratio=True); {args.repeats} samples per variant, each '
              'variant in a fresh process')
        results = {}
        for variant in VARIANTS:
            cmd = [sys.executable, osp.abspath(__file__), '--child', variant,
                   path, '--scale', *map(str, args.scale), '--repeats',
                   str(args.repeats)]
            proc = subprocess.run(cmd, capture_output=True, text=True,
                                  check=True)
            results[variant] = json.loads(proc.stdout.strip().splitlines()[-1])
    for variant in VARIANTS:
        r = results[variant]
        print(f'{variant:>8}: decoded {r["decoded_shape"][1]}x'
              f'{r["decoded_shape"][0]}, output {r["out_shape"][1]}x'
              f'{r["out_shape"][0]}; peak RSS +{r["rss_mb"]:.0f} MiB, '
              f'tracemalloc peak {r["traced_mb"]:.0f} MiB, '
              f'{r["seconds"] * 1000:.0f} ms/sample')
    full, red = results['full'], results['reduced']
    rss = full['rss_mb'] / max(red['rss_mb'], 1e-3)
    traced = full['traced_mb'] / max(red['traced_mb'], 1e-3)
    print(f'ratio full/reduced: peak RSS {rss:.1f}x, tracemalloc '
          f'{traced:.1f}x, time {full["seconds"] / red["seconds"]:.1f}x')


if __name__ == '__main__':
    main()
