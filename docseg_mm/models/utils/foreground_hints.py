# Copyright (c) docseg_mm contributors. All rights reserved.
"""Foreground hints for AlignSeg's correlation loss.

A hint module maps one batch of crops to a boolean token mask ``(N, h, w)``;
the segmentor calls it with keyword arguments and each module reads what it
needs:

* ``attentions``: ``(N, heads, h * w)`` CLS-to-patch attention of the
  backbone's last block (:class:`CLSAttentionHint`, the original);
* ``seg_maps``: ``(N, H, W)`` per-crop maps carried by the data samples,
  e.g. SelfDocSeg's pseudo-layout mask for backbones without a useful CLS
  token (:class:`SegMapHint`).
"""
from typing import Optional, Tuple

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.transforms.functional import gaussian_blur

from docseg_mm.structures.layout_mask_codes import HOLE_FLAG
from docseg_mm.registry import MODELS


def remove_small_components(mask: np.ndarray, max_size: int = 2) -> np.ndarray:
    """Zero the 8-connected foreground components of at most ``max_size``
    pixels (``skimage.measure.label``'s default connectivity for 2-D)."""
    num, labels, stats, _ = cv2.connectedComponentsWithStats(
        mask.astype(np.uint8), connectivity=8)
    small = np.nonzero(stats[1:, cv2.CC_STAT_AREA] <= max_size)[0] + 1
    if len(small):
        mask = mask.copy()
        mask[np.isin(labels, small)] = 0
    return mask


def attention_to_foreground(attn: torch.Tensor,
                            threshold: float = 0.6,
                            blur_kernel: int = 7,
                            blur_sigma: float = 0.6,
                            min_component: int = 3) -> torch.Tensor:
    """DINO/Leopart/AlignSeg ``process_attentions`` on a batch of maps.

    Gaussian blur, keep the most attended tokens that hold ``threshold`` of
    the attention mass (ascending sort, normalise, ``cumsum > 1 -
    threshold``), drop connected components smaller than ``min_component``.

    Args:
        attn (Tensor): ``(N, h, w)`` head-averaged attention.
        threshold (float): Kept attention mass. Defaults to 0.6.
        blur_kernel (int): Gaussian kernel size. Defaults to 7.
        blur_sigma (float): Gaussian sigma. Defaults to 0.6.
        min_component (int): Smallest kept component in tokens.
            Defaults to 3 (components of 1 or 2 tokens are removed).

    Returns:
        Tensor: ``(N, h, w)`` bool.
    """
    n, h, w = attn.shape
    attn = gaussian_blur(attn[:, None].float(), [blur_kernel] * 2,
                         [blur_sigma] * 2).reshape(n, h * w)
    val, idx = torch.sort(attn, dim=-1)
    val = val / val.sum(dim=-1, keepdim=True)
    keep_sorted = torch.cumsum(val, dim=-1) > (1 - threshold)
    keep = torch.gather(keep_sorted, 1, torch.argsort(idx, dim=-1))
    keep = keep.reshape(n, h, w).cpu().numpy()
    if min_component > 1:
        keep = np.stack(
            [remove_small_components(m, min_component - 1) for m in keep])
    return torch.from_numpy(keep.astype(bool)).to(attn.device)


@MODELS.register_module()
class CLSAttentionHint(nn.Module):
    """Foreground from the backbone's last-block CLS attention (original).

    The heads are averaged, then :func:`attention_to_foreground` is applied.

    Args:
        threshold (float): Kept attention mass. Defaults to 0.6.
        blur_kernel (int): Defaults to 7.
        blur_sigma (float): Defaults to 0.6.
        min_component (int): Defaults to 3.
    """

    def __init__(self,
                 threshold: float = 0.6,
                 blur_kernel: int = 7,
                 blur_sigma: float = 0.6,
                 min_component: int = 3) -> None:
        super().__init__()
        self.threshold = threshold
        self.blur_kernel = blur_kernel
        self.blur_sigma = blur_sigma
        self.min_component = min_component

    @torch.no_grad()
    def forward(self,
                grid: Tuple[int, int],
                attentions: Optional[torch.Tensor] = None,
                **kwargs) -> torch.Tensor:
        """Compute the hint.

        Args:
            grid (tuple[int, int]): Token grid ``(h, w)``.
            attentions (Tensor): ``(N, heads, h * w)``.

        Returns:
            Tensor: ``(N, h, w)`` bool.
        """
        if attentions is None:
            raise ValueError('CLSAttentionHint needs the backbone CLS '
                             'attention; use SegMapHint for backbones '
                             'without one')
        attn = attentions.mean(dim=1).reshape(-1, *grid)
        return attention_to_foreground(attn, self.threshold,
                                       self.blur_kernel, self.blur_sigma,
                                       self.min_component)


@MODELS.register_module()
class SegMapHint(nn.Module):
    """Foreground from a per-crop map carried by the data samples.

    For documents: SelfDocSeg's pseudo-layout mask
    (:class:`~docseg_mm.datasets.transforms.PseudoLayoutMask`), cropped with
    every view by :class:`~docseg_mm.datasets.transforms.AlignSegMultiCrop`.
    A token is foreground when at least ``min_fraction`` of its pixels are
    foreground in the map (area pooling to the token grid).

    Args:
        mode (str): How map values read as foreground: ``'nonzero'``, or
            ``'layout_ink'`` (the pseudo-layout object-id map: ink only,
            hole pixels of filled objects are background). Defaults to
            ``'nonzero'``.
        min_fraction (float): Defaults to 0.5.
    """

    MODES = ('nonzero', 'layout_ink')

    def __init__(self, mode: str = 'nonzero',
                 min_fraction: float = 0.5) -> None:
        super().__init__()
        if mode not in self.MODES:
            raise ValueError(f'mode must be one of {self.MODES}, got {mode!r}')
        self.mode = mode
        self.min_fraction = min_fraction

    @torch.no_grad()
    def forward(self,
                grid: Tuple[int, int],
                seg_maps: Optional[torch.Tensor] = None,
                **kwargs) -> torch.Tensor:
        """Compute the hint.

        Args:
            grid (tuple[int, int]): Token grid ``(h, w)``.
            seg_maps (Tensor): ``(N, H, W)`` maps of the crops.

        Returns:
            Tensor: ``(N, h, w)`` bool.
        """
        if seg_maps is None:
            raise ValueError('SegMapHint needs per-crop maps in the data '
                             'samples (`crop_seg_maps`, written by '
                             'AlignSegMultiCrop from `gt_seg_map`)')
        maps = seg_maps.long()
        if self.mode == 'layout_ink':
            fg = (maps != 0) & (maps < HOLE_FLAG)
        else:
            fg = maps != 0
        frac = F.adaptive_avg_pool2d(fg[:, None].float(), grid)[:, 0]
        return frac >= self.min_fraction
