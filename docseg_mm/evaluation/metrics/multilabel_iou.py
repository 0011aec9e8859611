# Copyright (c) docseg_mm contributors. All rights reserved.
"""Semantic mIoU for multi-label binary class maps (DocSAM's mIoU)."""
from typing import Dict, Optional, Sequence

import numpy as np
import pycocotools.mask as mask_util
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmseg.evaluation.metrics import IoUMetric
from terminaltables import AsciiTable

from docseg_mm.registry import METRICS
from .maf_metric import gt_instance_rle

IGNORE_INDEX = 255


def instances_to_class_maps(instances: Sequence[dict], num_classes: int,
                            height: int, width: int) -> torch.Tensor:
    """Per-class union of the GT instance masks as multi-label label maps.

    Args:
        instances (Sequence[dict]): Raw GT instances (``bbox_label``,
            ``mask`` polygons / RLE / bitmap or only ``bbox``,
            ``ignore_flag``).
        num_classes (int): Number of (non-background) classes.
        height (int): Image height.
        width (int): Image width.

    Returns:
        torch.Tensor: (C, H, W) uint8 maps: 1 inside the class's instances,
        0 outside, ``255`` (ignored) on ``ignore_flag`` instances not covered
        by a regular instance of the same class.
    """
    maps = np.zeros((num_classes, height, width), dtype=np.uint8)
    ignored = np.zeros_like(maps, dtype=bool)
    for inst in instances:
        label = int(inst['bbox_label'])
        if not 0 <= label < num_classes:
            raise ValueError(f'GT label {label} is outside the '
                             f'{num_classes} predicted class maps.')
        mask = mask_util.decode(gt_instance_rle(inst, height, width)) > 0
        if inst.get('ignore_flag', 0):
            ignored[label] |= mask
        else:
            maps[label][mask] = 1
    maps[ignored & (maps == 0)] = IGNORE_INDEX
    return torch.from_numpy(maps)


def multilabel_intersect_and_union(pred_maps: torch.Tensor,
                                   gt_maps: torch.Tensor) -> torch.Tensor:
    """Pixel areas of each class's binary map via mmseg's IoUMetric.

    Every class ``k`` is scored as a 2-class problem (0 = not ``k``,
    1 = ``k``) with :meth:`IoUMetric.intersect_and_union`, so one pixel can
    belong to several classes or none.

    Args:
        pred_maps (torch.Tensor): (C, H, W) bool/0-1 predicted maps.
        gt_maps (torch.Tensor): (C, H, W) GT maps with values 0, 1 and
            255 (ignored).

    Returns:
        torch.Tensor: (4, C) float areas: intersection, union, prediction
        and GT of the foreground of each class.
    """
    if pred_maps.shape != gt_maps.shape:
        raise ValueError(f'Predicted class maps {tuple(pred_maps.shape)} do '
                         f'not match the GT maps {tuple(gt_maps.shape)} '
                         '(expected (C, H, W) at ori_shape).')
    areas = []
    for pred, gt in zip(pred_maps.long(), gt_maps.long()):
        per_label = IoUMetric.intersect_and_union(pred, gt, 2, IGNORE_INDEX)
        areas.append(torch.stack([area[1] for area in per_label]))
    if not areas:
        return torch.zeros(4, 0)
    return torch.stack(areas, dim=1)


@METRICS.register_module()
class MultiLabelIoUMetric(BaseMetric):
    """Semantic mIoU over multi-label binary class maps (background
    excluded), as DocSAM evaluates its semantic branch.

    Per class, intersection and union pixels are summed over the dataset;
    ``IoU = I / U`` (mmseg's ``IoUMetric.total_area_to_metrics``) and the
    mean is taken over the classes with any GT or predicted pixel. The GT map
    of a class is the union of its GT instance masks rasterised at
    ``ori_shape``. Values are fractions in [0, 1] (mmseg's IoUMetric reports
    percentages).

    Reads ``pred_sem_masks['data']`` ((C, H, W) bool, one map per
    non-background class, at ``ori_shape``), ``instances`` and
    ``ori_shape``.

    Args:
        classwise (bool): Also report ``IoU_{class name}``. Defaults to
            False.
        collect_device (str): Device for collecting results across ranks.
            Defaults to 'cpu'.
        prefix (str, optional): Prefix of the metric names. Defaults to None.

    Metric keys: ``mIoU`` (+ ``IoU_{class}`` with ``classwise``).
    """
    default_prefix: Optional[str] = None

    def __init__(self,
                 classwise: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.classwise = classwise

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Store the (4, C) pixel areas of each sample.

        Args:
            data_batch (dict): Unused.
            data_samples (Sequence[dict]): Samples from ``to_dict()``.
        """
        for sample in data_samples:
            pred = sample['pred_sem_masks']
            pred = pred['data'] if isinstance(pred, dict) else pred.data
            pred = torch.as_tensor(pred).detach().cpu()
            height, width = (int(v) for v in sample['ori_shape'][:2])
            gt = instances_to_class_maps(
                sample.get('instances', []), pred.shape[0], height, width)
            self.results.append(multilabel_intersect_and_union(pred, gt))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Sum the areas over the dataset and compute the mIoU.

        Args:
            results (list): Per-sample (4, C) areas.

        Returns:
            dict[str, float]: ``mIoU`` (+ per-class IoU).
        """
        num_classes = {r.shape[1] for r in results}
        if len(num_classes) != 1:
            raise ValueError('Samples of one evaluation have different '
                             f'numbers of class maps: {sorted(num_classes)}')
        total = torch.stack(results).sum(dim=0)
        iou = IoUMetric.total_area_to_metrics(*total, metrics=['mIoU'])['IoU']
        valid = ~np.isnan(iou)
        metrics = dict(
            mIoU=float(iou[valid].mean()) if valid.any() else float('nan'))
        classes = (self.dataset_meta or {}).get('classes', None)
        rows = [['class', 'IoU']]
        for k in np.flatnonzero(valid):
            name = classes[k] if classes is not None and \
                k < len(classes) else str(k)
            rows.append([name, f'{iou[k]:.4f}'])
            if self.classwise:
                metrics[f'IoU_{name}'] = float(iou[k])
        if self.classwise:
            MMLogger.get_current_instance().info('\n' + AsciiTable(rows).table)
        return metrics
