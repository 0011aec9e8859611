# Copyright (c) docseg_mm contributors. All rights reserved.
"""Synthetic COCO ground truth and perturbed predictions (layout-like).

Pages of DocLayNet size carry ~``instances_per_image`` rectangles-ish
regions of log-uniform sizes (page numbers to full-width tables) as polygon
ground truth, as DocLayNet's json does; predictions are the ground truth
perturbed (jittered boxes and polygons, some misses, wrong labels and
duplicates) plus false positives, with boxes and RLE masks as a model's
results. Used to compare COCO-eval backends and to time them
(``tools/analysis_tools/coco_eval_speed.py``).
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np
from pycocotools import mask as mask_util


def _rect_polygon(rng: np.random.Generator, box: Sequence[float],
                  width: int, height: int, jitter: float) -> List[float]:
    """An 8-vertex polygon around a box: corners and edge midpoints moved
    by up to ``jitter`` times the box size, clipped to the page."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    xm, ym = (x1 + x2) / 2, (y1 + y2) / 2
    pts = np.array([[x1, y1], [xm, y1], [x2, y1], [x2, ym], [x2, y2],
                    [xm, y2], [x1, y2], [x1, ym]], dtype=np.float64)
    pts += rng.uniform(-jitter, jitter, pts.shape) * [w, h]
    pts[:, 0] = pts[:, 0].clip(0, width)
    pts[:, 1] = pts[:, 1].clip(0, height)
    return [round(float(v), 2) for v in pts.reshape(-1)]


def _random_box(rng: np.random.Generator, width: int,
                height: int) -> List[float]:
    """A box of log-uniform size (8 px to most of the page)."""
    w = float(np.exp(rng.uniform(np.log(10), np.log(width * 0.8))))
    h = float(np.exp(rng.uniform(np.log(8), np.log(height * 0.6))))
    x1 = float(rng.uniform(0, width - w))
    y1 = float(rng.uniform(0, height - h))
    return [x1, y1, x1 + w, y1 + h]


def _jitter_box(rng: np.random.Generator, box: Sequence[float], width: int,
                height: int, scale: float) -> List[float]:
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    d = rng.normal(0, scale, 4) * [w, h, w, h]
    out = [
        min(max(x1 + d[0], 0.0), width - 1.0),
        min(max(y1 + d[1], 0.0), height - 1.0), x2 + d[2], y2 + d[3]
    ]
    out[2] = min(max(out[2], out[0] + 1.0), float(width))
    out[3] = min(max(out[3], out[1] + 1.0), float(height))
    return out


def _prediction(rng: np.random.Generator, img_id: int, cat_id: int,
                box: Sequence[float], width: int,
                height: int) -> Dict:
    """A result entry: xywh box, score and an RLE mask of the polygon."""
    poly = _rect_polygon(rng, box, width, height, 0.03)
    rle = mask_util.merge(mask_util.frPyObjects([poly], height, width))
    rle['counts'] = rle['counts'].decode()
    x1, y1, x2, y2 = box
    return dict(
        image_id=img_id,
        category_id=cat_id,
        bbox=[x1, y1, x2 - x1, y2 - y1],
        score=float(rng.uniform(0.05, 1.0)),
        segmentation=rle)


def synthetic_coco(num_images: int,
                   instances_per_image: int = 14,
                   num_classes: int = 11,
                   image_size: Tuple[int, int] = (1025, 1025),
                   crowd_fraction: float = 0.0,
                   seed: int = 0) -> Tuple[Dict, List[Dict]]:
    """COCO ground truth and results for ``num_images`` synthetic pages.

    Per page the number of regions is Poisson(``instances_per_image``).
    Per region: a polygon GT annotation (``area`` = polygon area); with
    probability 0.85 a prediction (box jittered by 5 % of its size, label
    changed with probability 0.1), with probability 0.1 a second, coarser
    duplicate; plus Poisson(3) false positives per page.

    Args:
        num_images (int): Number of pages.
        instances_per_image (int): Mean regions per page. Defaults to 14.
        num_classes (int): Category ids 1..num_classes. Defaults to 11.
        image_size (tuple[int, int]): Page (height, width).
            Defaults to (1025, 1025) (DocLayNet).
        crowd_fraction (float): Share of GT marked ``iscrowd``.
            Defaults to 0.
        seed (int): Random seed. Defaults to 0.

    Returns:
        tuple[dict, list[dict]]: The ground-truth dataset dict and the
        result list (``bbox``, ``score``, RLE ``segmentation``).
    """
    rng = np.random.default_rng(seed)
    height, width = image_size
    gt = dict(
        images=[],
        annotations=[],
        categories=[
            dict(id=i, name=f'class_{i}') for i in range(1, num_classes + 1)
        ])
    results = []
    for img_id in range(1, num_images + 1):
        gt['images'].append(
            dict(
                id=img_id,
                file_name=f'{img_id:06d}.png',
                height=height,
                width=width))
        for _ in range(int(rng.poisson(instances_per_image))):
            box = _random_box(rng, width, height)
            cat = int(rng.integers(1, num_classes + 1))
            poly = _rect_polygon(rng, box, width, height, 0.01)
            rle = mask_util.frPyObjects([poly], height, width)
            x1, y1, x2, y2 = box
            gt['annotations'].append(
                dict(
                    id=len(gt['annotations']) + 1,
                    image_id=img_id,
                    category_id=cat,
                    bbox=[x1, y1, x2 - x1, y2 - y1],
                    area=float(mask_util.area(rle).sum()),
                    iscrowd=int(rng.uniform() < crowd_fraction),
                    segmentation=[poly]))
            if rng.uniform() < 0.85:
                label = cat if rng.uniform() >= 0.1 else int(
                    rng.integers(1, num_classes + 1))
                results.append(
                    _prediction(rng, img_id, label,
                                _jitter_box(rng, box, width, height, 0.05),
                                width, height))
            if rng.uniform() < 0.1:
                results.append(
                    _prediction(rng, img_id, cat,
                                _jitter_box(rng, box, width, height, 0.2),
                                width, height))
        for _ in range(int(rng.poisson(3))):
            results.append(
                _prediction(rng, img_id,
                            int(rng.integers(1, num_classes + 1)),
                            _random_box(rng, width, height), width, height))
    return gt, results


def results_to_samples(gt: Dict, results: Sequence[Dict]) -> List[Dict]:
    """Per-image data samples for mmdet-style COCO metrics' ``process``.

    Labels are category indices in ``gt['categories']`` order (the
    metric's ``classes`` order when the names are given in that order);
    boxes become xyxy tensors and masks stay RLE dicts.

    Args:
        gt (dict): Ground-truth dataset dict (``images``, ``categories``).
        results (Sequence[dict]): COCO results with RLE ``segmentation``.

    Returns:
        list[dict]: ``img_id``, ``ori_shape`` and ``pred_instances``
        (``bboxes``, ``scores``, ``labels``, ``masks``) per image.
    """
    import torch
    label_of = {c['id']: i for i, c in enumerate(gt['categories'])}
    per_image: Dict[int, List[Dict]] = {im['id']: [] for im in gt['images']}
    for res in results:
        per_image[res['image_id']].append(res)
    samples = []
    for im in gt['images']:
        preds = per_image[im['id']]
        boxes = torch.tensor([p['bbox'] for p in preds],
                             dtype=torch.float32).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]
        samples.append(
            dict(
                img_id=im['id'],
                ori_shape=(im['height'], im['width']),
                pred_instances=dict(
                    bboxes=boxes,
                    scores=torch.tensor([p['score'] for p in preds],
                                        dtype=torch.float32),
                    labels=torch.tensor(
                        [label_of[p['category_id']] for p in preds],
                        dtype=torch.long),
                    masks=[dict(p['segmentation']) for p in preds])))
    return samples
