# Copyright (c) docseg_mm contributors. All rights reserved.
"""AlignSeg's per-image metric and the dataset-level matched mIoU of cluster
predictions (``pred_sem_seg`` holds cluster ids, not class ids)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric

from docseg_mm.registry import METRICS
from ..functional import (confusion, hungarian_mapping, mapped_iou,
                          many_to_one_mapping, per_image_miou)

SizeType = Optional[Union[int, Tuple[int, int]]]


def resize_nearest(label: torch.Tensor, size: SizeType) -> torch.Tensor:
    """``F.interpolate(mode='nearest')`` of an ``(H, W)`` label map (the
    original's 100 x 100 evaluation resampling); None keeps the size."""
    if size is None:
        return label
    size = (size, size) if isinstance(size, int) else tuple(size)
    return F.interpolate(label[None, None].float(), size=size,
                         mode='nearest')[0, 0].long()


def _pred_and_gt(sample: dict, size: SizeType) -> Tuple[np.ndarray, ...]:
    pred = sample['pred_sem_seg']['data'].squeeze(0).cpu()
    gt = sample['gt_sem_seg']['data'].squeeze(0).cpu()
    return (resize_nearest(pred, size).numpy(),
            resize_nearest(gt, size).numpy())


@METRICS.register_module()
class PerImageClusterIoUMetric(BaseMetric):
    """AlignSeg's reported mIoU: per image, many-to-one, precision-matched.

    Prediction and ground truth are resized (nearest) to ``eval_size``;
    ignored pixels dropped; in each image every cluster is matched to the
    class present in that image where its precision is highest (several
    clusters may share a class), the IoU of every present class is averaged,
    then images are averaged (``evaluate/sup_overcluster.py`` with
    ``utils.PredsmIoU`` defaults). Much more lenient than a dataset-level
    mIoU: compare only with AlignSeg's 69.5 (PVOC) / 35.1 (COCO-Stuff-27).

    Args:
        eval_size (int | tuple, optional): Defaults to 100 (the original's
            ``mask_eval_size``); None: the original image size.
        precision_based (bool): Defaults to True.
        ignore_index (int): Defaults to 255.
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'per_image'``.
    """

    def __init__(self,
                 eval_size: SizeType = 100,
                 precision_based: bool = True,
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'per_image') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.eval_size = eval_size
        self.precision_based = precision_based
        self.ignore_index = ignore_index

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Score every image of the batch."""
        for sample in data_samples:
            pred, gt = _pred_and_gt(sample, self.eval_size)
            valid = gt != self.ignore_index
            if not valid.any():
                continue
            self.results.append(
                per_image_miou(gt[valid], pred[valid], self.precision_based))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Mean over images, in percent."""
        arr = np.asarray(results, np.float64).reshape(-1, 2)
        return dict(mIoU=100 * float(arr[:, 0].mean()),
                    mIoU_excl_first=100 * float(arr[:, 1].mean()),
                    num_images=len(arr))


@METRICS.register_module()
class MatchedClusterIoUMetric(BaseMetric):
    """Dataset-level mIoU of cluster predictions after one matching.

    A confusion matrix of classes x clusters is accumulated over the whole
    set; clusters are matched to classes once (``'hungarian'``: one-to-one,
    PiCIE/STEGO/Leopart; ``'many_to_one'`` / ``'many_to_one_precision'``:
    each cluster to its best class), then the IoU of every class present in
    the ground truth is averaged.

    Args:
        num_clusters (int): Cluster ids are ``0 .. num_clusters - 1``.
        matching (str): Defaults to ``'hungarian'``.
        unmatched_to (int, optional): Hungarian: class of clusters left over
            when there are more clusters than classes; None: no class.
            Defaults to 0 (the original).
        eval_size (int | tuple, optional): Nearest resize of both maps.
            Defaults to None (original size).
        ignore_index (int): Defaults to 255.
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'matched'``.
    """

    MATCHINGS = ('hungarian', 'many_to_one', 'many_to_one_precision')

    def __init__(self,
                 num_clusters: int,
                 matching: str = 'hungarian',
                 unmatched_to: Optional[int] = 0,
                 eval_size: SizeType = None,
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'matched') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if matching not in self.MATCHINGS:
            raise ValueError(f'matching must be one of {self.MATCHINGS}')
        self.num_clusters = num_clusters
        self.matching = matching
        self.unmatched_to = unmatched_to
        self.eval_size = eval_size
        self.ignore_index = ignore_index

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Accumulate every image's confusion matrix."""
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            pred, gt = _pred_and_gt(sample, self.eval_size)
            valid = gt != self.ignore_index
            self.results.append(confusion(gt[valid], pred[valid],
                                          num_classes, self.num_clusters))

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        """Match once over the summed confusion matrix."""
        conf = np.sum(results, axis=0)
        iou = matched_iou(conf, self.matching, self.unmatched_to)
        out = dict(mIoU=100 * float(np.nanmean(iou)))
        for name, value in zip(self.dataset_meta['classes'], iou):
            if not np.isnan(value):
                out[f'IoU.{name}'] = 100 * float(value)
        return out


def matched_iou(conf: np.ndarray, matching: str,
                unmatched_to: Optional[int] = 0) -> np.ndarray:
    """Per-class IoU of a confusion matrix under one matching rule."""
    if matching == 'hungarian':
        mapping = hungarian_mapping(conf, unmatched_to)
    else:
        mapping = many_to_one_mapping(
            conf, precision=matching == 'many_to_one_precision')
    return mapped_iou(conf, mapping)
