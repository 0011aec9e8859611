# Copyright (c) docseg_mm contributors. All rights reserved.
"""Pixel-adaptive mask refinement (PAMR, Araslanov & Roth, CVPR 2020)."""
from typing import Iterator, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

#: The 8 neighbour offsets of a 3x3 window, row by row without the centre.
_OFFSETS: Tuple[Tuple[int, int], ...] = ((-1, -1), (-1, 0), (-1, 1), (0, -1),
                                         (0, 1), (1, -1), (1, 0), (1, 1))


def _shifted(x: Tensor, dilations: Sequence[int],
             with_centre: bool = False) -> Iterator[Tensor]:
    """Yield ``x`` shifted to each dilated 3x3 neighbour (replicate padding).

    For every dilation ``d`` and offset ``(dy, dx)`` the yielded map holds,
    at pixel ``(i, j)``, the value of ``x`` at ``(i + dy * d, j + dx * d)``
    clamped to the image. One replicate padding by the largest dilation
    serves all dilations (a replicate-padded value is the clamped one
    whatever the pad width): the same values as one padding per dilation,
    with one copy of ``x`` instead of ``len(dilations)``.
    """
    h, w = x.shape[-2:]
    m = max(dilations)
    pad = F.pad(x, [m] * 4, mode='replicate')
    offsets = _OFFSETS[:4] + ((0, 0), ) + _OFFSETS[4:] \
        if with_centre else _OFFSETS
    for d in dilations:
        for dy, dx in offsets:
            yield pad[..., m + dy * d:m + dy * d + h,
                      m + dx * d:m + dx * d + w]


def pamr_affinity(image: Tensor, dilations: Sequence[int]) -> Tensor:
    """PAMR's local affinity of every pixel to its dilated neighbours.

    ``a = softmax_p(mean_k(-|I_k - I_k(p)| / (1e-8 + 0.1 * sigma_k)))`` where
    ``p`` runs over the 8 neighbours of every dilation and ``sigma_k`` is the
    (unbiased) standard deviation of channel ``k`` over the 9 window values of
    *all* dilations together (the centre counted once per dilation), as in the
    original ``LocalStDev``.

    Args:
        image (Tensor): ``(B, K, H, W)`` guidance image.
        dilations (Sequence[int]): Neighbourhood dilations.

    Returns:
        Tensor: ``(B, P, H, W)`` affinities, ``P = 8 * len(dilations)``,
        summing to 1 over ``P``.
    """
    window = torch.stack(list(_shifted(image, dilations, True)), 2)
    std = window.std(2)  # (B, K, H, W)
    diffs = torch.stack([(image - n).abs()
                         for n in _shifted(image, dilations)], 2)
    aff = -diffs / (1e-8 + 0.1 * std.unsqueeze(2))
    return aff.mean(1).softmax(1)


def pamr(image: Tensor,
         masks: Tensor,
         num_iter: int = 10,
         dilations: Sequence[int] = (1, 2, 4, 8, 12, 24)) -> Tensor:
    """Refine soft masks by propagating them along the image's affinities.

    ``masks`` are first resized to the image size (bilinear, corners
    aligned), then ``num_iter`` times replaced by the affinity-weighted sum of
    their neighbours: ``m(i) <- sum_p a_p(i) * m(i + p)``.

    Args:
        image (Tensor): ``(B, K, H, W)`` guidance image (e.g. RGB in [0, 1]).
        masks (Tensor): ``(B, C, h, w)`` soft masks.
        num_iter (int): Propagation steps. Defaults to 10.
        dilations (Sequence[int]): Neighbourhood dilations.
            Defaults to (1, 2, 4, 8, 12, 24).

    Returns:
        Tensor: ``(B, C, H, W)`` refined masks.
    """
    if masks.shape[-2:] != image.shape[-2:]:
        masks = F.interpolate(
            masks, size=image.shape[-2:], mode='bilinear', align_corners=True)
    aff = pamr_affinity(image, dilations)
    for _ in range(num_iter):
        out = torch.zeros_like(masks)
        for p, neighbour in enumerate(_shifted(masks, dilations)):
            out.addcmul_(aff[:, p:p + 1], neighbour)
        masks = out
    return masks
