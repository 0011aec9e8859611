# Copyright (c) docseg_mm contributors. All rights reserved.
"""Mean F1 over mask-IoU thresholds (mAF), the DocSAM instance metric."""
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import pycocotools.mask as mask_util
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from scipy.optimize import linear_sum_assignment
from terminaltables import AsciiTable

from docseg_mm.registry import METRICS

MaskLike = Union[np.ndarray, torch.Tensor, dict]

#: 0.50:0.05:0.95, built like pycocotools so that 0.7, 0.75, ... are exact.
DEFAULT_IOU_THRS = np.linspace(0.5, 0.95, 10)


def gt_instance_rle(instance: dict, height: int, width: int) -> dict:
    """Rasterise one raw ground-truth instance to a COCO RLE.

    ``instance['mask']`` may be polygons (a list of flat ``[x0, y0, ...]``
    lists), an RLE dict (compressed or uncompressed counts) or an (H, W)
    bitmap. Without a mask, the ``bbox`` (xyxy) rectangle is used, which is
    what COCO does for box-only annotations.

    Args:
        instance (dict): Raw annotation with ``mask`` and/or ``bbox``.
        height (int): Image height.
        width (int): Image width.

    Returns:
        dict: Compressed RLE of the instance at ``(height, width)``.
    """
    mask = instance.get('mask', None)
    if isinstance(mask, (np.ndarray, torch.Tensor)):
        return _bitmaps_to_rles(np.asarray(mask)[None])[0]
    if isinstance(mask, dict):
        if isinstance(mask['counts'], list):
            return mask_util.frPyObjects(mask, height, width)
        counts = mask['counts']
        if isinstance(counts, str):
            counts = counts.encode()
        return dict(size=list(mask['size']), counts=counts)
    if not mask:
        x1, y1, x2, y2 = (float(v) for v in instance['bbox'])
        mask = [[x1, y1, x2, y1, x2, y2, x1, y2]]
    polys = [np.asarray(p, dtype=np.float64).tolist() for p in mask]
    return mask_util.merge(mask_util.frPyObjects(polys, height, width))


def _bitmaps_to_rles(masks: np.ndarray) -> List[dict]:
    """Encode (N, H, W) bitmaps as compressed RLEs."""
    masks = np.asfortranarray(masks.astype(np.uint8).transpose(1, 2, 0))
    return mask_util.encode(masks)


def to_rles(
        masks: Union[Sequence[MaskLike], np.ndarray,
                     torch.Tensor]) -> List[dict]:
    """Convert masks ((N, H, W) array/tensor or a list of masks) to RLEs.

    Args:
        masks: An (N, H, W) bool array or tensor, or a sequence whose items
            are (H, W) bitmaps or compressed RLE dicts.

    Returns:
        list[dict]: One compressed RLE per mask.
    """
    if isinstance(masks, torch.Tensor):
        masks = masks.detach().cpu().numpy()
    if isinstance(masks, np.ndarray):
        return _bitmaps_to_rles(masks) if len(masks) else []
    rles = []
    for mask in masks:
        if isinstance(mask, dict):
            rles.append(mask)
        else:
            if isinstance(mask, torch.Tensor):
                mask = mask.detach().cpu().numpy()
            rles.extend(_bitmaps_to_rles(np.asarray(mask)[None]))
    return rles


def match_true_positives(
        gt_rles: Sequence[dict],
        pred_rles: Sequence[dict],
        iou_thrs: np.ndarray = DEFAULT_IOU_THRS) -> np.ndarray:
    """Count true positives of one class in one image at each threshold.

    GT and predictions are matched one-to-one ONCE by the Hungarian
    algorithm maximising the total mask IoU; at threshold ``t`` a matched
    pair is a true positive iff its IoU >= ``t``.

    Args:
        gt_rles (Sequence[dict]): Ground-truth masks as RLEs.
        pred_rles (Sequence[dict]): Predicted masks as RLEs.
        iou_thrs (np.ndarray): IoU thresholds. Defaults to 0.50:0.05:0.95.

    Returns:
        np.ndarray: (T,) int64 true-positive counts.
    """
    iou_thrs = np.asarray(iou_thrs, dtype=np.float64).reshape(-1)
    if len(gt_rles) == 0 or len(pred_rles) == 0:
        return np.zeros(len(iou_thrs), dtype=np.int64)
    ious = np.asarray(
        mask_util.iou(list(pred_rles), list(gt_rles), [0] * len(gt_rles)),
        dtype=np.float64)
    rows, cols = linear_sum_assignment(ious, maximize=True)
    matched = ious[rows, cols]
    return (matched[None, :] >= iou_thrs[:, None]).sum(axis=1)


def f1_from_counts(tp: np.ndarray, num_gt: np.ndarray,
                   num_pred: np.ndarray) -> np.ndarray:
    """F1 = 2 TP / (#GT + #Pred), NaN where a class has neither.

    Args:
        tp (np.ndarray): (K, T) true positives per class and threshold.
        num_gt (np.ndarray): (K,) ground-truth counts.
        num_pred (np.ndarray): (K,) prediction counts.

    Returns:
        np.ndarray: (K, T) F1 scores.
    """
    tp = np.asarray(tp, dtype=np.float64)
    denom = (np.asarray(num_gt, np.float64) +
             np.asarray(num_pred, np.float64))[:, None]
    f1 = np.full(tp.shape, np.nan)
    np.divide(
        2 * tp, denom, out=f1, where=np.broadcast_to(denom > 0, tp.shape))
    return f1


def mean_f1_over_iou(gt_masks_per_class: Sequence[Sequence[MaskLike]],
                     pred_masks_per_class: Sequence[Sequence[MaskLike]],
                     iou_thrs: np.ndarray = DEFAULT_IOU_THRS) -> float:
    """mAF of a single image (or of a dataset made of this one image).

    Predictions must already be filtered by score. For each class, masks are
    matched with :func:`match_true_positives`; F1 is averaged over the
    thresholds, then over the classes with at least one GT or prediction.

    Args:
        gt_masks_per_class: For class ``k``, its GT masks ((N, H, W) array /
            tensor or a list of (H, W) bitmaps / RLEs).
        pred_masks_per_class: Same for the predictions.
        iou_thrs (np.ndarray): IoU thresholds. Defaults to 0.50:0.05:0.95.

    Returns:
        float: The mAF, NaN if no class has a GT or a prediction.
    """
    assert len(gt_masks_per_class) == len(pred_masks_per_class)
    tps, num_gt, num_pred = [], [], []
    for gts, preds in zip(gt_masks_per_class, pred_masks_per_class):
        gt_rles, pred_rles = to_rles(gts), to_rles(preds)
        tps.append(match_true_positives(gt_rles, pred_rles, iou_thrs))
        num_gt.append(len(gt_rles))
        num_pred.append(len(pred_rles))
    if not tps:
        return float('nan')
    f1 = f1_from_counts(np.stack(tps), np.array(num_gt), np.array(num_pred))
    per_class = f1.mean(axis=1)
    valid = ~np.isnan(per_class)
    return float(per_class[valid].mean()) if valid.any() else float('nan')


@METRICS.register_module()
class MeanF1Metric(BaseMetric):
    """Mean F1 over mask-IoU thresholds (mAF) of DocSAM.

    Per image and class, GT masks and predictions with ``score >=
    score_thr`` are Hungarian-matched by mask IoU. True positives, #GT and
    #Pred are summed over the WHOLE dataset per class and threshold (the
    reference computes mAF "per dataset"); then ``F1 = 2 TP / (#GT + #Pred)``
    is averaged over the thresholds and over the classes having any GT or
    prediction. GT instances with ``ignore_flag`` are skipped; GT without a
    mask uses its box. Values are fractions in [0, 1].

    Reads ``instances`` and ``ori_shape`` from the data sample and
    ``pred_instances`` (``masks`` (N, H, W) at ``ori_shape``, ``scores``,
    0-based ``labels``).

    Args:
        score_thr (float): Minimum prediction score. Defaults to 0.5.
        iou_thrs (Sequence[float], optional): IoU thresholds. Defaults to
            None (0.50:0.05:0.95).
        classwise (bool): Also report ``AF_{class name}``. Defaults to False.
        collect_device (str): Device for collecting results across ranks.
            Defaults to 'cpu'.
        prefix (str, optional): Prefix of the metric names. Defaults to None.

    Metric keys: ``mAF`` and, when 0.5 / 0.75 are thresholds, ``mAF_50`` /
    ``mAF_75`` (F1 at that threshold averaged over classes).
    """
    default_prefix: Optional[str] = None

    def __init__(self,
                 score_thr: float = 0.5,
                 iou_thrs: Optional[Sequence[float]] = None,
                 classwise: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.score_thr = score_thr
        self.iou_thrs = (
            DEFAULT_IOU_THRS if iou_thrs is None else np.asarray(
                iou_thrs, dtype=np.float64).reshape(-1))
        self.classwise = classwise

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Match each sample and store per-class counts.

        Args:
            data_batch (dict): Unused.
            data_samples (Sequence[dict]): Samples from ``to_dict()``.
        """
        for sample in data_samples:
            height, width = (int(v) for v in sample['ori_shape'][:2])
            gt_rles = defaultdict(list)
            for inst in sample.get('instances', []):
                if not inst.get('ignore_flag', 0):
                    gt_rles[int(inst['bbox_label'])].append(
                        gt_instance_rle(inst, height, width))
            pred = sample['pred_instances']
            scores = torch.as_tensor(pred['scores']).detach().cpu()
            keep = (scores >= self.score_thr).numpy()
            labels = torch.as_tensor(pred['labels']).cpu().numpy()[keep]
            masks = pred['masks']
            if isinstance(masks, torch.Tensor):
                masks = masks.detach().cpu().numpy()
            pred_rles = defaultdict(list)
            if keep.any():
                kept = to_rles(
                    np.asarray(masks)[keep] if isinstance(masks, np.ndarray)
                    else [m for m, k in zip(masks, keep) if k])
                for label, rle in zip(labels.tolist(), kept):
                    pred_rles[int(label)].append(rle)
            counts = {}
            for label in sorted(set(gt_rles) | set(pred_rles)):
                tp = match_true_positives(gt_rles[label], pred_rles[label],
                                          self.iou_thrs)
                counts[label] = (tp, len(gt_rles[label]),
                                 len(pred_rles[label]))
            self.results.append(counts)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Sum the counts over the dataset and compute mAF.

        Args:
            results (list): Per-sample ``{label: (tp, #gt, #pred)}``.

        Returns:
            dict[str, float]: ``mAF`` (+ ``mAF_50``/``mAF_75``/classwise).
        """
        num_thrs = len(self.iou_thrs)
        totals: Dict[int, list] = {}
        for counts in results:
            for label, (tp, n_gt, n_pred) in counts.items():
                acc = totals.setdefault(label,
                                        [np.zeros(num_thrs, np.int64), 0, 0])
                acc[0] = acc[0] + tp
                acc[1] += n_gt
                acc[2] += n_pred
        labels = sorted(totals)
        if labels:
            f1 = f1_from_counts(
                np.stack([totals[k][0] for k in labels]),
                np.array([totals[k][1] for k in labels]),
                np.array([totals[k][2] for k in labels]))
        else:
            f1 = np.zeros((0, num_thrs))
        nan = float('nan')
        metrics = dict(mAF=float(f1.mean()) if f1.size else nan)
        for name, thr in (('mAF_50', 0.5), ('mAF_75', 0.75)):
            idx = np.flatnonzero(np.isclose(self.iou_thrs, thr))
            if idx.size:
                metrics[name] = float(f1[:, idx[0]].mean()) if f1.size \
                    else nan
        classes = (self.dataset_meta or {}).get('classes', None)
        rows = [['class', '#GT', '#Pred', 'AF']]
        for i, label in enumerate(labels):
            name = classes[label] if classes is not None and \
                label < len(classes) else str(label)
            value = float(f1[i].mean())
            rows.append([
                name,
                str(totals[label][1]),
                str(totals[label][2]), f'{value:.4f}'
            ])
            if self.classwise:
                metrics[f'AF_{name}'] = value
        if self.classwise:
            MMLogger.get_current_instance().info('\n' + AsciiTable(rows).table)
        return metrics
