# Copyright (c) docseg_mm contributors. All rights reserved.
"""Building blocks of single-stage weakly supervised segmentation
(1-stage-wseg / SLRNet): the mask-derived classifier, pseudo labels from
soft masks, the max-code selection and test-time class filtering."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor


def mask_classifier_logits(logits: Tensor,
                           masks: Tensor,
                           focal_p: float = 3.,
                           focal_c: float = 0.01,
                           has_background: bool = True) -> Tensor:
    """Image-level class scores from segmentation logits and masks.

    Normalised global weighted pooling plus a focal size penalty
    (1-stage-wseg, eq. 3-4)::

        cls_c = sum_p x_c(p) m_c(p) / (1 + sum_p m_c(p))
                + (1 - mean_p m_c)^focal_p * log(focal_c + mean_p m_c)

    Args:
        logits (Tensor): ``(B, C, H, W)`` logits ``x``.
        masks (Tensor): ``(B, C, H, W)`` masks ``m`` (softmax of ``x``).
        focal_p (float): Penalty exponent. Defaults to 3.
        focal_c (float): Penalty offset. Defaults to 0.01.
        has_background (bool): Drop channel 0 (background) from the result.
            Defaults to True.

    Returns:
        Tensor: ``(B, C - 1)`` (or ``(B, C)``) class logits.
    """
    x = logits.flatten(2)
    m = masks.flatten(2)
    gwp = (x * m).sum(-1) / (1. + m.sum(-1))
    mean = m.mean(-1)
    cls = gwp + torch.pow(1. - mean, focal_p) * torch.log(focal_c + mean)
    return cls[:, 1:] if has_background else cls


def max_onehot(x: Tensor) -> Tensor:
    """Keep only the maximum entry (its value) along dim 1, zero the rest.

    Ties keep every maximal entry. Gradients flow through the kept values.
    """
    return x * (x == x.max(dim=1, keepdim=True)[0]).to(x.dtype)


def pseudo_labels_relative(masks: Tensor,
                           bg_factor: float = 0.7,
                           fg_factor: float = 0.6,
                           low: float = 0.2) -> Tensor:
    """One-hot pseudo labels from soft masks, with cut-offs relative to each
    class's maximum (SLRNet / 1-stage-wseg ``pseudo_gtmask``).

    ``thr_c = max(low, max_p M_c(p) * (bg_factor if c == 0 else
    fg_factor))``; pixel ``p`` gets class ``c`` if ``M_c(p) > thr_c``; pixels
    claimed by several classes (or none) get an all-zero vector (ignored).

    Args:
        masks (Tensor): ``(B, C, H, W)`` masks, background first.
        bg_factor (float): Background cut-off factor. Defaults to 0.7.
        fg_factor (float): Foreground cut-off factor (``cutoff_top``).
            Defaults to 0.6.
        low (float): Lowest cut-off (``cutoff_low``). Defaults to 0.2.

    Returns:
        Tensor: ``(B, C, H, W)`` with one 1 per kept pixel.
    """
    b, c = masks.shape[:2]
    peak = masks.flatten(2).max(-1)[0]
    factor = peak.new_full((c, ), fg_factor)
    factor[0] = bg_factor
    thr = torch.clamp(peak * factor, min=low)
    claimed = (masks > thr[:, :, None, None]).to(masks.dtype)
    return claimed * (claimed.sum(1, keepdim=True) <= 1).to(masks.dtype)


def pseudo_labels_absolute(masks: Tensor,
                           fg_thr: float = 0.5,
                           bg_thr: float = 0.1) -> Tensor:
    """One-hot pseudo labels from max-normalised masks (SLRNet's COCO
    variant).

    Every channel is divided by its maximum (``+ 1e-6``); a pixel is class
    ``c > 0`` if the normalised ``M_c > fg_thr`` and background if no
    foreground channel exceeds ``bg_thr``; multiply claimed pixels are
    ignored.

    Args:
        masks (Tensor): ``(B, C, H, W)`` masks, background first.
        fg_thr (float): Foreground threshold (``cutoff_top``).
            Defaults to 0.5.
        bg_thr (float): Background threshold (``cutoff_low``).
            Defaults to 0.1.

    Returns:
        Tensor: ``(B, C, H, W)`` one-hot pseudo labels.
    """
    norm = masks / (F.adaptive_max_pool2d(masks, 1) + 1e-6)
    fg = (norm[:, 1:] > fg_thr).to(masks.dtype)
    bg = ((norm[:, 1:] > bg_thr).sum(1, keepdim=True) < 1).to(masks.dtype)
    onehot = torch.cat([bg, fg], 1)
    return onehot * (onehot.sum(1, keepdim=True) <= 1).to(masks.dtype)


def blank_background_cue(image: Tensor,
                         window: int = 5,
                         max_range: float = 0.1) -> Tensor:
    """Background cue of document pages: blank neighbourhoods.

    A pixel is *blank* when the grey value (channel mean) of ``image`` varies
    by less than ``max_range`` (``max - min``) over its ``window x window``
    neighbourhood (clipped at the image border): page margins, column gaps
    and the space between blocks, which layout annotations leave as
    background, while every layout element holds ink within a few pixels.

    Args:
        image (Tensor): ``(B, K, H, W)`` image in ``[0, 1]``.
        window (int): Odd neighbourhood size in pixels of ``image``.
            Defaults to 5.
        max_range (float): Largest grey-value range of a blank
            neighbourhood. Defaults to 0.1.

    Returns:
        Tensor: ``(B, 1, H, W)`` 0/1 cue in ``image``'s dtype.
    """
    if window < 1 or window % 2 == 0:
        raise ValueError(f'window must be a positive odd number, got '
                         f'{window}')
    grey = image.mean(1, keepdim=True)
    pad = window // 2
    high = F.max_pool2d(grey, window, 1, pad)
    low = -F.max_pool2d(-grey, window, 1, pad)
    return ((high - low) < max_range).to(image.dtype)


def onehot_to_label(onehot: Tensor, ignore_index: int = 255) -> Tensor:
    """``(B, C, H, W)`` one-hot (all-zero = ignored) to ``(B, H, W)``
    labels."""
    label = onehot.argmax(1)
    label[onehot.sum(1) < 1] = ignore_index
    return label


def label_to_onehot(label: Tensor, num_classes: int,
                    ignore_index: int = 255) -> Tensor:
    """``(B, H, W)`` labels to ``(B, C, H, W)`` one-hot; ignored pixels (and
    values outside ``0..C-1``) become all-zero vectors."""
    valid = (label >= 0) & (label < num_classes) & (label != ignore_index)
    safe = torch.where(valid, label, torch.zeros_like(label)).long()
    onehot = F.one_hot(safe, num_classes).permute(0, 3, 1, 2).float()
    return onehot * valid.unsqueeze(1).float()


def select_classes(cls_logits: Tensor,
                   fp_cut: float = 0.3,
                   topk: Optional[int] = 6) -> Tensor:
    """Test-time class selection from image-level logits.

    Class ``c`` is kept iff ``sigmoid(cls_c) > fp_cut`` and ``sigmoid(cls_c)``
    is at least the ``topk``-th largest score (SLRNet ``infer_voc.py``).

    Args:
        cls_logits (Tensor): ``(..., C)`` logits.
        fp_cut (float): Score threshold. Defaults to 0.3.
        topk (int, optional): Keep at most about this many classes (ties kept);
            None keeps every class above ``fp_cut``. Defaults to 6.

    Returns:
        Tensor: ``(..., C)`` float 0/1 selection.
    """
    score = cls_logits.sigmoid()
    keep = score > fp_cut
    if topk is not None and topk < score.shape[-1]:
        kth = score.topk(topk, dim=-1)[0][..., -1:]
        keep &= score >= kth
    return keep.to(cls_logits.dtype)
