# Copyright (c) docseg_mm contributors. All rights reserved.
"""AlignSeg cost at the paper's crop setting and the k-means protocol's
evaluation time (a sibling of ``benchmark.py``).

1. **Training step** of an AlignSeg config (default: PVOC, ViT-S/16, one
   decoder layer, 1 global + 2 local 224 px crops) on synthetic crops, next
   to the frozen ViT's forward over the same crops alone (the step's floor):
   median times, their ratio and the peak memory of each phase (CUDA
   allocator, or sampled process RSS on CPU, as ``benchmark.py``).
2. **K-means protocol** (:class:`KMeansClusterMetric`: standardise, PCA 50,
   k-means with 5 restarts for every k) on random ``dim``-wide token
   embeddings of ``grid x grid`` tokens for a few image counts, extrapolated
   linearly in the number of images to ``--target-images`` (1449, PASCAL
   VOC val). Random vectors make k-means run its full iteration budget, so
   the extrapolation is an upper bound.

Example::

    python tools/analysis_tools/alignseg_benchmark.py \
        --batch-size 8 --steps 5 --kmeans-images 25 50 --k 21 100
"""
import argparse
import json
import statistics
import time
from typing import Dict, List

import numpy as np
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

from docseg_mm.engine.benchmark import PeakMemory, timed
from docseg_mm.evaluation import KMeansClusterMetric
from docseg_mm.registry import MODELS
from docseg_mm.utils import register_all_modules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config',
                        default='configs/alignseg/'
                        'alignseg_vit-s16_1xb32-10e_pvoc.py')
    parser.add_argument('--batch-size', type=int, default=8,
                        help='images per step (the paper: 32 on a GPU)')
    parser.add_argument('--crop', type=int, default=224)
    parser.add_argument('--num-local', type=int, default=2)
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--kmeans-images', type=int, nargs='*',
                        default=[25, 50], help='measured image counts')
    parser.add_argument('--grid', type=int, default=28,
                        help='tokens per side (448 px / 16)')
    parser.add_argument('--dim', type=int, default=384)
    parser.add_argument('--k', type=int, nargs='+', default=[21, 100, 300,
                                                              500])
    parser.add_argument('--target-images', type=int, default=1449)
    parser.add_argument('--device', default=None)
    parser.add_argument('--out', help='JSON output file')
    return parser.parse_args()


def bench_training(args: argparse.Namespace, device: str) -> Dict:
    cfg = Config.fromfile(args.config)
    cfg.model.backbone.init_cfg = None  # random weights: same cost
    model = MODELS.build(cfg.model).to(device)
    model.init_weights()
    model.train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    g = torch.Generator().manual_seed(0)
    crops = [(torch.rand(args.batch_size, 3, args.crop, args.crop,
                         generator=g) * 255).to(device)
             for _ in range(1 + args.num_local)]
    samples = [DataSample() for _ in range(args.batch_size)]
    batch = dict(inputs=[c.unbind(0) for c in crops], data_samples=samples)

    def step() -> None:
        model.train_step(batch, optim)

    def backbone_only() -> None:
        with torch.no_grad():
            model._crop_features(model.data_preprocessor(batch,
                                                         True)['inputs'])

    out = {}
    for name, fn in (('backbone_forward', backbone_only),
                     ('train_step', step)):
        times: List[float] = []
        mem = PeakMemory(device)
        with mem.track():
            for i in range(args.warmup + args.steps):
                t = timed(fn, device)
                if i >= args.warmup:
                    times.append(t)
        out[f'{name}_s'] = statistics.median(times)
        out[f'{name}_peak_mem_mib'] = mem.peak_mib
    out['train_step_over_backbone'] = (out['train_step_s'] /
                                       out['backbone_forward_s'])
    out['trainable_params'] = sum(p.numel() for p in model.parameters()
                                  if p.requires_grad)
    return out


def bench_kmeans(args: argparse.Namespace) -> Dict:
    rng = np.random.default_rng(0)
    rows = []
    for n in args.kmeans_images:
        metric = KMeansClusterMetric(num_clusters=args.k, eval_size=None,
                                     prefix=None)
        metric.dataset_meta = dict(classes=tuple(range(21)))
        for _ in range(n):
            emb = rng.standard_normal((args.dim, args.grid, args.grid),
                                      dtype=np.float32)
            gt = rng.integers(0, 21, (args.grid, args.grid))
            metric.results.append((emb, gt))
        start = time.perf_counter()
        metric.compute_metrics(metric.results)
        rows.append(dict(images=n, vectors=n * args.grid**2,
                         seconds=time.perf_counter() - start))
    out: Dict = dict(kmeans_runs=rows, k=args.k)
    if len(rows) >= 2:
        # seconds = a + b * images (least squares over the runs)
        x = np.array([r['images'] for r in rows], np.float64)
        y = np.array([r['seconds'] for r in rows], np.float64)
        b, a = np.polyfit(x, y, 1)
        out['kmeans_extrapolated_s'] = float(a + b * args.target_images)
        out['kmeans_target_images'] = args.target_images
        out['kmeans_target_vectors'] = args.target_images * args.grid**2
        out['kmeans_seconds_per_image'] = float(b)
    return out


def main() -> None:
    args = parse_args()
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    register_all_modules()
    res = dict(device=device, threads=torch.get_num_threads(),
               batch_size=args.batch_size, crops=1 + args.num_local,
               crop_size=args.crop)
    res.update(bench_training(args, device))
    if args.kmeans_images:
        res.update(bench_kmeans(args))
    for key, value in res.items():
        if key != 'kmeans_runs':
            print(f'{key}: {value:.4f}' if isinstance(value, float) else
                  f'{key}: {value}')
    for r in res.get('kmeans_runs', []):
        print(f"k-means protocol, {r['images']} images ({r['vectors']} "
              f"vectors): {r['seconds']:.1f} s")
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(res, f, indent=2)


if __name__ == '__main__':
    main()
