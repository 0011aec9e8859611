# Copyright (c) docseg_mm contributors. All rights reserved.
"""Side-by-side table of AlignSeg and the k-means baseline (the three
protocols) from the metrics of one ``tools/test.py`` run."""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

Row = Tuple[str, Optional[str], Optional[str]]


def comparison_rows(num_clusters: int, over_k: Sequence[int],
                    num_classes: int) -> List[Row]:
    """``(label, baseline key, AlignSeg key)`` of every table row.

    Args:
        num_clusters (int): AlignSeg prototypes (= baseline k).
        over_k (Sequence[int]): k values of the k-means protocol.
        num_classes (int): Classes (k equal to it is Hungarian-matched).

    Returns:
        list[tuple]: The rows.
    """
    k = num_clusters
    rows: List[Row] = [
        (f'(1) per image, many-to-one precision, {k} clusters',
         f'kmeans_k{k}/k{k}_per_image', 'per_image/mIoU'),
        (f'(2) dataset Hungarian, {k} clusters',
         f'kmeans_k{k}/k{k}_hungarian', 'hungarian/mIoU'),
    ]
    for kk in over_k:
        protos = ['hungarian'] if kk == num_classes else [
            'many_to_one', 'many_to_one_precision'
        ]
        for p in protos:
            rows.append((f'(3) k-means k={kk}, {p.replace("_", "-")}',
                         f'kmeans_backbone/k{kk}_{p}',
                         f'kmeans_alignseg/k{kk}_{p}'))
    return rows


def format_comparison(metrics: Dict[str, float], rows: List[Row]) -> str:
    """Format the rows (values in %) with the AlignSeg - baseline gap."""
    header = ['protocol', 'k-means on frozen ViT', 'AlignSeg', 'gap']
    lines = []
    for label, base_key, ours_key in rows:
        base, ours = metrics.get(base_key), metrics.get(ours_key)
        cells = [label] + ['-' if v is None else f'{v:.1f}'
                           for v in (base, ours)]
        cells.append('-' if None in (base, ours) else f'{ours - base:+.1f}')
        lines.append(cells)
    widths = [max(len(r[i]) for r in lines + [header]) for i in range(4)]

    def fmt(r: List[str]) -> str:
        return ' | '.join([r[0].ljust(widths[0])] +
                          [c.rjust(w) for c, w in zip(r[1:], widths[1:])])

    return '\n'.join([fmt(header), '-+-'.join('-' * w for w in widths)] +
                     [fmt(r) for r in lines])


def newest_test_metrics(work_dir: str, key: str = 'per_image/mIoU'
                        ) -> Tuple[str, Dict[str, float]]:
    """Metrics of the newest ``<timestamp>/<timestamp>.json`` with ``key``.

    Args:
        work_dir (str): A ``tools/test.py`` work directory.
        key (str): A metric the wanted record holds.

    Returns:
        tuple: ``(run folder, metrics)``.
    """
    for run_dir in sorted(glob.glob(osp.join(work_dir, '2*')), reverse=True):
        log = osp.join(run_dir, osp.basename(run_dir) + '.json')
        if not osp.isfile(log):
            continue
        with open(log) as f:
            records = [json.loads(line) for line in f if line.strip()]
        found = [r for r in records if key in r]
        if found:
            return run_dir, found[-1]
    raise FileNotFoundError(f'no test metrics with {key!r} under {work_dir}')
