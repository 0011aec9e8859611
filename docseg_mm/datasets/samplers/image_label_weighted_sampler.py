# Copyright (c) docseg_mm contributors. All rights reserved.
"""Class-balanced resampling by image-level labels (SLRNet on COCO)."""
from typing import Iterator, Optional

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from docseg_mm.registry import DATA_SAMPLERS


def image_label_weights(labels: np.ndarray) -> np.ndarray:
    """Per-image sampling weights from ``(N, C)`` multi-hot labels.

    As SLRNet's ``COCOClassification.sample_weights``: class weight
    ``w_c = sum_c n_c / (n_c + 1)`` (``n_c`` images with class ``c``), image
    weight ``sum_c y_c w_c / (1 + sum_c y_c)`` (0 for unlabelled images).
    """
    counts = labels.sum(0)
    class_w = counts.sum() / (counts + 1)
    return (labels * class_w).sum(1) / (1 + labels.sum(1))


@DATA_SAMPLERS.register_module()
class ImageLabelWeightedSampler(Sampler):
    """Draw ``num_samples`` indices per epoch with replacement, weighted by
    :func:`image_label_weights` of the dataset's ``img_labels``; each rank
    takes every ``world_size``-th draw.

    Args:
        dataset: A dataset whose data infos hold ``img_labels``.
        num_samples (int): Draws per epoch over all ranks.
            Defaults to 40000 (the original COCO setting).
        seed (int, optional): Random seed (synchronised across ranks).
            Defaults to None.
    """

    def __init__(self, dataset, num_samples: int = 40000,
                 seed: Optional[int] = None) -> None:
        rank, world = get_dist_info()
        self.rank, self.world_size = rank, world
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        labels = np.stack([
            np.asarray(dataset.get_data_info(i)['img_labels'], np.float64)
            for i in range(len(dataset))
        ])
        self.weights = torch.from_numpy(image_label_weights(labels))
        self.num_samples = num_samples
        self.per_rank = len(range(rank, num_samples, world))

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        draws = torch.multinomial(
            self.weights, self.num_samples, True, generator=g)
        return iter(draws[self.rank::self.world_size].tolist())

    def __len__(self) -> int:
        return self.per_rank

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
