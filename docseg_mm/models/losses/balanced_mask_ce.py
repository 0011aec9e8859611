# Copyright (c) docseg_mm contributors. All rights reserved.
"""Class-balanced cross-entropy on one-hot (pseudo) labels
(1-stage-wseg / SLRNet ``balanced_mask_loss_ce``)."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from docseg_mm.registry import MODELS


def class_count_gate(onehot: Tensor, img_labels: Tensor) -> Tensor:
    """1 for images whose one-hot labels hold exactly ``#img_labels + 1``
    classes (the image labels plus background), else 0; shape ``(B, )``."""
    expected = img_labels.sum(-1) + 1
    present = (onehot.flatten(2).sum(-1) > 0).sum(-1)
    return (expected.to(present.dtype) == present).to(onehot.dtype)


def balanced_ce_targets(onehot: Tensor,
                        ignore_index: int = 255) -> Tuple[Tensor, Tensor]:
    """Label map and class-balancing pixel weights of one-hot labels.

    Args:
        onehot (Tensor): ``(B, C, H, W)`` one-hot labels; all-zero vectors
            are ignored.
        ignore_index (int): Label value for ignored pixels. Defaults to 255.

    Returns:
        tuple: ``(B, H, W)`` labels (``ignore_index`` where ignored) and
        ``(B, H * W)`` weights ``(N - N_c) / (1 + N)`` of each pixel's class
        ``c`` (0 for ignored pixels), see :func:`balanced_mask_ce`.
    """
    c = onehot.shape[1]
    # one 1 per labelled pixel: the index sum is the label (faster than a
    # strided argmax over channels)
    index = torch.arange(c, device=onehot.device, dtype=onehot.dtype)
    target = (onehot * index[:, None, None]).sum(1).long()
    target[onehot.sum(1) < 1] = ignore_index
    per_class = onehot.flatten(2).sum(-1)  # (B, C)
    total = per_class.sum(-1, keepdim=True)
    class_w = (total - per_class) / (1. + total)
    pixel_w = (onehot * class_w[:, :, None, None]).sum(1).flatten(1)
    return target, pixel_w


def balanced_mask_ce(logits: Tensor,
                     onehot: Tensor,
                     img_labels: Optional[Tensor] = None,
                     batch_gate: bool = True,
                     ignore_index: int = 255) -> Tensor:
    """Per-image class-balanced CE against one-hot labels.

    The logits are resized (bilinear, corners aligned) to the labels' size.
    Each pixel's CE is weighted by ``(N - N_c) / (1 + N)`` for its class
    ``c`` (``N_c`` its labelled pixels, ``N`` all labelled pixels) and
    averaged over *all* pixels of the image. With ``batch_gate`` an image's
    loss is zeroed unless its labels hold exactly ``#img_labels + 1``
    classes (the image labels plus background).

    Args:
        logits (Tensor): ``(B, C, h, w)`` logits.
        onehot (Tensor): ``(B, C, H, W)`` one-hot labels; all-zero vectors
            are ignored.
        img_labels (Tensor, optional): ``(B, C - 1)`` multi-hot image labels,
            needed for ``batch_gate``. Defaults to None.
        batch_gate (bool): Apply the class-count gate. Defaults to True.
        ignore_index (int): Label value for ignored pixels. Defaults to 255.

    Returns:
        Tensor: ``(B, )`` losses.
    """
    h, w = onehot.shape[-2:]
    if logits.shape[-2:] != (h, w):
        logits = F.interpolate(
            logits, size=(h, w), mode='bilinear', align_corners=True)
    target, pixel_w = balanced_ce_targets(onehot, ignore_index)
    ce = F.cross_entropy(
        logits, target, ignore_index=ignore_index, reduction='none')
    loss = (pixel_w * ce.flatten(1)).mean(-1)
    if batch_gate:
        if img_labels is None:
            raise ValueError('batch_gate needs img_labels')
        loss = loss * class_count_gate(onehot, img_labels).to(loss.dtype)
    return loss


@MODELS.register_module()
class BalancedMaskCELoss(nn.Module):
    """Module form of :func:`balanced_mask_ce` (mean over the batch).

    Args:
        batch_gate (bool): See :func:`balanced_mask_ce`. Defaults to True.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        ignore_index (int): Ignored label value. Defaults to 255.
        loss_name (str): Name in the loss dict.
            Defaults to 'loss_balanced_ce'.
    """

    def __init__(self,
                 batch_gate: bool = True,
                 loss_weight: float = 1.0,
                 ignore_index: int = 255,
                 loss_name: str = 'loss_balanced_ce') -> None:
        super().__init__()
        self.batch_gate = batch_gate
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self._loss_name = loss_name

    def forward(self,
                logits: Tensor,
                onehot: Tensor,
                img_labels: Optional[Tensor] = None) -> Tensor:
        loss = balanced_mask_ce(logits, onehot, img_labels, self.batch_gate,
                                self.ignore_index)
        return self.loss_weight * loss.mean()

    @property
    def loss_name(self) -> str:
        return self._loss_name
