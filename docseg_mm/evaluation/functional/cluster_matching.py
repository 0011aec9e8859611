# Copyright (c) docseg_mm contributors. All rights reserved.
"""Matching unsupervised clusters to ground-truth classes.

Three protocols, as in AlignSeg's ``utils.PredsmIoU`` / Leopart:

* **per image, many-to-one, precision-matched** (AlignSeg's reported
  number): in each image every cluster goes to the class *present in that
  image* where its precision is highest; the image's mIoU averages the
  present classes; the result averages the images;
* **dataset-level Hungarian**: one one-to-one assignment for the whole
  dataset (``scipy.optimize.linear_sum_assignment`` on ``1 - IoU``);
  unmatched clusters go to class 0 (as the original) or nowhere;
* **dataset-level many-to-one** (over-clustering): every cluster goes to the
  class of highest IoU (or precision) over the dataset.

All work on a confusion matrix ``conf[class, cluster]`` of pixel counts.
"""
from typing import Optional, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment


def confusion(gt: np.ndarray, pred: np.ndarray, num_classes: int,
              num_clusters: int) -> np.ndarray:
    """Pixel counts ``(num_classes, num_clusters)`` of valid pixels.

    Args:
        gt (np.ndarray): Class ids, already restricted to valid pixels.
        pred (np.ndarray): Cluster ids of the same pixels.
        num_classes (int): Number of classes.
        num_clusters (int): Number of clusters.

    Returns:
        np.ndarray: ``int64`` counts.
    """
    gt = np.asarray(gt, np.int64).ravel()
    pred = np.asarray(pred, np.int64).ravel()
    if gt.size and (gt.min() < 0 or gt.max() >= num_classes):
        raise ValueError(f'class ids outside [0, {num_classes})')
    if pred.size and (pred.min() < 0 or pred.max() >= num_clusters):
        raise ValueError(f'cluster ids outside [0, {num_clusters})')
    return np.bincount(gt * num_clusters + pred,
                       minlength=num_classes * num_clusters).reshape(
                           num_classes, num_clusters)


def _scores(conf: np.ndarray, precision: bool) -> np.ndarray:
    """``(num_classes, num_clusters)`` IoU or precision of each pair."""
    tp = conf.astype(np.float64)
    pred_sum = tp.sum(0, keepdims=True)
    if precision:
        return tp / np.maximum(pred_sum, 1e-8)
    gt_sum = tp.sum(1, keepdims=True)
    return tp / np.maximum(gt_sum + pred_sum - tp, 1e-8)


def many_to_one_mapping(conf: np.ndarray,
                        precision: bool = False,
                        classes: Optional[np.ndarray] = None) -> np.ndarray:
    """Cluster -> class by the best score (ties: lowest class id).

    Args:
        conf (np.ndarray): ``(num_classes, num_clusters)`` counts.
        precision (bool): Match on precision instead of IoU.
            Defaults to False.
        classes (np.ndarray, optional): Candidate class ids (default: all).

    Returns:
        np.ndarray: ``(num_clusters,)`` class id per cluster.
    """
    classes = np.arange(conf.shape[0]) if classes is None else classes
    scores = _scores(conf, precision)[classes]
    return np.asarray(classes)[scores.argmax(0)]


def hungarian_mapping(conf: np.ndarray,
                      unmatched_to: Optional[int] = 0) -> np.ndarray:
    """One-to-one cluster -> class on ``1 - IoU`` over the present classes.

    Args:
        conf (np.ndarray): ``(num_classes, num_clusters)`` counts.
        unmatched_to (int, optional): Class of clusters left without a class
            (more clusters than classes); None leaves them unmapped (-1).
            Defaults to 0 (the original's background).

    Returns:
        np.ndarray: ``(num_clusters,)`` class id per cluster (-1: none).
    """
    present = np.nonzero(conf.sum(1))[0]
    rows, cols = linear_sum_assignment(1 - _scores(conf, False)[present])
    mapping = np.full(conf.shape[1], -1 if unmatched_to is None
                      else unmatched_to, np.int64)
    mapping[cols] = present[rows]
    return mapping


def mapped_iou(conf: np.ndarray, mapping: np.ndarray) -> np.ndarray:
    """Per-class IoU after relabelling clusters with ``mapping``.

    Args:
        conf (np.ndarray): ``(num_classes, num_clusters)`` counts.
        mapping (np.ndarray): Cluster -> class (-1: counted for no class).

    Returns:
        np.ndarray: ``(num_classes,)`` IoU; NaN for classes absent from the
        ground truth.
    """
    num_classes = conf.shape[0]
    merged = np.zeros((num_classes, num_classes), np.float64)
    for k, c in enumerate(mapping):
        if c >= 0:
            merged[:, c] += conf[:, k]
    tp = np.diag(merged)
    gt_sum = conf.sum(1).astype(np.float64)
    pred_sum = merged.sum(0)
    iou = tp / np.maximum(gt_sum + pred_sum - tp, 1e-8)
    iou[gt_sum == 0] = np.nan
    return iou


def per_image_miou(gt: np.ndarray, pred: np.ndarray,
                   precision: bool = True) -> Tuple[float, float]:
    """AlignSeg's per-image many-to-one mIoU of one image.

    Every cluster present in the image goes to the present class of highest
    precision (IoU with ``precision=False``); the IoU of each present class
    is averaged. Also returns the mean without the first present class
    (the original's "mIoU exclude first"; the plain mean when only one class
    is present).

    Args:
        gt (np.ndarray): Class ids of the valid pixels.
        pred (np.ndarray): Cluster ids of the same pixels.
        precision (bool): Precision-based matching. Defaults to True.

    Returns:
        tuple[float, float]: ``(mIoU, mIoU excluding the first class)``.
    """
    classes, gt_idx = np.unique(np.asarray(gt).ravel(), return_inverse=True)
    clusters, pred_idx = np.unique(np.asarray(pred).ravel(),
                                   return_inverse=True)
    if classes.size == 0:
        raise ValueError('an image without valid pixels has no mIoU')
    conf = confusion(gt_idx, pred_idx, len(classes), len(clusters))
    iou = mapped_iou(conf, many_to_one_mapping(conf, precision))
    return float(iou.mean()), float(iou[1:].mean() if len(iou) > 1 else
                                     iou.mean())
