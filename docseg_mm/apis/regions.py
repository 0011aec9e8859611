# Copyright (c) docseg_mm contributors. All rights reserved.
"""Predictions as regions: boxes, scores and polygons in image pixels.

A region is a dict ``label`` (index into the call's label names),
``category`` (its name), ``score``, ``bbox`` (``x0, y0, x1, y1``, pixel
edges), ``polygons`` (outer contours of its mask, ``[x0, y0, x1, y1, ...]``
lists, OpenCV's pixel-centre convention) and ``area`` (mask pixels, or box
area without a mask).
"""
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
from torch import Tensor

#: Label of ignored pixels in mmseg label maps.
IGNORE_INDEX = 255


def _np(x) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def mask_to_polygons(mask: np.ndarray, epsilon: float = 0.5,
                     offset: Sequence[int] = (0, 0)) -> List[List[float]]:
    """Outer contours of a binary mask.

    Args:
        mask (np.ndarray): ``(H, W)`` bool or 0/1.
        epsilon (float): Douglas-Peucker tolerance in pixels (0 keeps
            every contour corner). Defaults to 0.5.
        offset (Sequence[int]): ``(x, y)`` added to every point (the mask's
            position in the page). Defaults to ``(0, 0)``.

    Returns:
        list[list[float]]: One flat ``[x0, y0, x1, y1, ...]`` polygon per
        contour with at least 3 points, largest first.
    """
    m = np.ascontiguousarray(mask, dtype=np.uint8)
    if not m.any():
        return []
    contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for c in sorted(contours, key=cv2.contourArea, reverse=True):
        if epsilon > 0:
            c = cv2.approxPolyDP(c, epsilon, True)
        if len(c) < 3:
            continue
        pts = c.reshape(-1, 2).astype(np.float64) + np.asarray(offset)
        out.append([round(float(v), 2) for v in pts.reshape(-1)])
    return out


def box_polygon(box: Sequence[float]) -> List[float]:
    """The rectangle of a box as a polygon."""
    x0, y0, x1, y1 = (round(float(v), 2) for v in box)
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def instance_regions(pred_instances, names: Sequence[str],
                     score_thr: float = 0.0,
                     keep_labels: Optional[Sequence[int]] = None
                     ) -> List[Dict]:
    """Regions of an mmdet-style ``pred_instances``.

    Args:
        pred_instances (InstanceData): ``bboxes`` ``(N, 4)``, ``scores``,
            ``labels`` and optionally ``masks`` ``(N, H, W)``.
        names (Sequence[str]): Name of each label.
        score_thr (float): Keep scores >= this. Defaults to 0.
        keep_labels (Sequence[int], optional): Keep only these labels.
            Defaults to None (all).

    Returns:
        list[dict]: Regions, highest score first.
    """
    scores = _np(pred_instances.scores).astype(np.float64)
    labels = _np(pred_instances.labels).astype(np.int64)
    boxes = _np(pred_instances.bboxes).astype(np.float64).reshape(-1, 4) \
        if 'bboxes' in pred_instances else None
    masks = pred_instances.masks if 'masks' in pred_instances else None
    keep = scores >= score_thr
    if keep_labels is not None:
        keep &= np.isin(labels, np.asarray(list(keep_labels)))
    out = []
    for i in np.flatnonzero(keep)[np.argsort(-scores[keep],
                                             kind='stable')]:
        polygons, area, mask_box = [], 0, None
        if masks is not None:
            m = masks[i]
            mask = _np(m.to_ndarray() if hasattr(m, 'to_ndarray') else m)
            mask = mask.reshape(mask.shape[-2:]).astype(bool, copy=False)
            rows = np.flatnonzero(mask.any(1))
            if rows.size:
                cols = np.flatnonzero(mask.any(0))
                y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
                crop = mask[y0:y1, x0:x1]
                polygons = mask_to_polygons(crop, offset=(x0, y0))
                area = int(crop.sum())
                mask_box = np.array([x0, y0, x1, y1], np.float64)
        if boxes is not None:
            box = boxes[i]
        elif mask_box is not None:
            box = mask_box
        else:
            continue
        if not area:
            area = float(max(box[2] - box[0], 0) * max(box[3] - box[1], 0))
        label = int(labels[i])
        out.append(dict(
            label=label,
            category=names[label] if 0 <= label < len(names) else str(label),
            score=round(float(scores[i]), 5),
            bbox=[round(float(v), 2) for v in box],
            polygons=polygons or [box_polygon(box)],
            area=area))
    return out


def _class_probs(logits: Tensor) -> Tensor:
    """Per-pixel class probabilities from mmseg ``seg_logits``: used as
    they are when already in ``[0, 1]`` (SLRNet masks, AlignSeg
    assignments), else softmax (sigmoid for one channel)."""
    logits = logits.float()
    if logits.min() >= 0 and logits.max() <= 1:
        return logits
    if logits.shape[0] == 1:
        p = logits.sigmoid()
        return torch.cat([1 - p, p])
    return logits.softmax(0)


def semantic_regions(label_map, seg_logits: Optional[Tensor],
                     names: Sequence[str],
                     background: Sequence[int] = (),
                     keep_labels: Optional[Sequence[int]] = None,
                     score_thr: float = 0.0,
                     min_area: Optional[int] = None) -> List[Dict]:
    """Connected components of a label map as regions.

    Args:
        label_map (Tensor | np.ndarray): ``(H, W)`` label ids.
        seg_logits (Tensor, optional): ``(C, H, W)`` logits or
            probabilities; a region's score is the mean probability of its
            label over its pixels (1.0 without them).
        names (Sequence[str]): Name of each label.
        background (Sequence[int]): Labels that are not regions.
            Defaults to ``()``.
        keep_labels (Sequence[int], optional): Only these labels.
            Defaults to None (all).
        score_thr (float): Keep scores >= this. Defaults to 0.
        min_area (int, optional): Smallest component in pixels. Defaults
            to None, i.e. ``max(16, 1e-4 * H * W)``.

    Returns:
        list[dict]: Regions, by label then position (top to bottom).
    """
    lab = _np(label_map).astype(np.int64)
    h, w = lab.shape
    if min_area is None:
        min_area = max(16, int(1e-4 * h * w))
    probs = None if seg_logits is None else _class_probs(
        seg_logits.detach().cpu())
    out = []
    for label in np.unique(lab).tolist():
        if label == IGNORE_INDEX or label in background or (
                keep_labels is not None and label not in keep_labels):
            continue
        mask = (lab == label).astype(np.uint8)
        num, comp, stats, _ = cv2.connectedComponentsWithStats(
            mask, connectivity=8)
        order = np.argsort(stats[1:, cv2.CC_STAT_TOP], kind='stable') + 1
        for k in order:
            x, y, bw, bh, area = (int(v) for v in stats[k])
            if area < min_area:
                continue
            sub = comp[y:y + bh, x:x + bw] == k
            score = 1.0
            if probs is not None and label < probs.shape[0]:
                p = probs[label, y:y + bh, x:x + bw]
                score = float(p[torch.from_numpy(sub)].mean())
            if score < score_thr:
                continue
            out.append(dict(
                label=int(label),
                category=names[label] if label < len(names) else str(label),
                score=round(score, 5),
                bbox=[float(x), float(y), float(x + bw), float(y + bh)],
                polygons=mask_to_polygons(sub, offset=(x, y)),
                area=area))
    return out
