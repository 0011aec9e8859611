# Copyright (c) docseg_mm contributors. All rights reserved.
"""Class-aware greedy NMS on binary masks (DocSAM post-processing)."""
from typing import Optional, Sequence

import torch
from torch import Tensor
from torchvision.ops import box_iou


def masks_to_tight_boxes(masks: Tensor) -> Tensor:
    """Tight boxes of binary masks.

    The boxes use the exclusive convention: a mask whose set pixels span
    columns ``x1 .. x2 - 1`` and rows ``y1 .. y2 - 1`` gets the box
    ``(x1, y1, x2, y2)``, so a single pixel has a box of area 1. Empty masks
    get ``(0, 0, 0, 0)``.

    Args:
        masks (Tensor): Binary masks of shape (N, H, W).

    Returns:
        Tensor: Boxes of shape (N, 4) in xyxy format, float32.
    """
    num, height, width = masks.shape
    if num == 0 or height == 0 or width == 0:
        return masks.new_zeros((num, 4), dtype=torch.float32)
    # amax over uint8 is much faster than any() over bool on CPU
    pixels = masks.bool().view(torch.uint8)
    rows = pixels.amax(dim=2) > 0  # (N, H)
    cols = pixels.amax(dim=1) > 0  # (N, W)
    ys = torch.arange(height, device=masks.device)
    xs = torch.arange(width, device=masks.device)
    y1 = torch.where(rows, ys, height).amin(dim=1)
    y2 = torch.where(rows, ys, -1).amax(dim=1) + 1
    x1 = torch.where(cols, xs, width).amin(dim=1)
    x2 = torch.where(cols, xs, -1).amax(dim=1) + 1
    boxes = torch.stack([x1, y1, x2, y2], dim=1).float()
    boxes[~rows.any(dim=1)] = 0
    return boxes


def mask_areas(masks: Tensor,
               boxes: Tensor,
               indices: Optional[Sequence[int]] = None) -> Tensor:
    """Pixel counts of binary masks, counted inside their tight boxes.

    Cheaper than a full reduction when the objects are small compared with
    the mask canvas.

    Args:
        masks (Tensor): Binary masks of shape (N, H, W).
        boxes (Tensor): Their exact tight boxes (N, 4), see
            :func:`masks_to_tight_boxes`.
        indices (Sequence[int], optional): Only count these masks; the
            other entries are 0. Defaults to None (all masks).

    Returns:
        Tensor: Areas of shape (N,), long.
    """
    areas = torch.zeros(masks.size(0), dtype=torch.long, device=masks.device)
    int_boxes = boxes.long().tolist()
    if indices is None:
        indices = range(masks.size(0))
    for k in indices:
        x1, y1, x2, y2 = int_boxes[k]
        areas[k] = masks[k, y1:y2, x1:x2].sum()
    return areas


def mask_nms(masks: Tensor,
             scores: Tensor,
             labels: Tensor,
             iou_thr: float,
             box_iou_thr: float = 0.01,
             mask_boxes: Optional[Tensor] = None) -> Tensor:
    """Class-aware greedy non-maximum suppression on binary masks.

    Masks are visited by decreasing score. A mask is suppressed when its
    mask IoU with an already kept, higher-scored mask of the same label is
    strictly greater than ``iou_thr``; suppressed masks never suppress
    others. As in DocSAM, the exact mask IoU is only evaluated for pairs
    whose tight boxes have an IoU strictly greater than ``box_iou_thr``;
    other pairs count as non-overlapping. Areas and intersections are
    computed inside tight boxes only, so apart from finding the boxes the
    cost scales with the object sizes rather than the image size.

    Args:
        masks (Tensor): Binary masks of shape (N, H, W).
        scores (Tensor): Scores of shape (N,).
        labels (Tensor): Class labels of shape (N,).
        iou_thr (float): Mask IoU above which a mask is suppressed.
        box_iou_thr (float): Box IoU above which the exact mask IoU of a
            pair is computed. Defaults to 0.01.
        mask_boxes (Tensor, optional): Precomputed tight boxes (N, 4) of
            the masks, as :func:`masks_to_tight_boxes` returns them; used
            as given for the pre-filter and the crops, so they must be
            exact. Defaults to None (computed here).

    Returns:
        Tensor: Indices (long) of the kept masks, sorted by decreasing
        score (ties keep the input order).
    """
    num = masks.size(0)
    if num == 0:
        return torch.zeros(0, dtype=torch.long, device=masks.device)
    masks = masks.bool()
    if mask_boxes is None:
        mask_boxes = masks_to_tight_boxes(masks)
    order = torch.sort(scores, descending=True, stable=True).indices
    sorted_labels = labels[order]
    boxes = mask_boxes.float()[order]

    # (i, j) is a candidate when j comes after i, has the same label and
    # the boxes overlap enough; NaN IoUs of empty boxes compare False.
    cand = box_iou(boxes, boxes) > box_iou_thr
    cand &= sorted_labels[:, None] == sorted_labels[None, :]
    cand = torch.triu(cand, diagonal=1)
    heads = cand.any(dim=1).nonzero().flatten().tolist()
    if not heads:
        return order

    # Areas of the masks involved in a candidate pair, inside their boxes.
    involved = (cand.any(dim=0) | cand.any(dim=1)).nonzero().flatten()
    areas = mask_areas(masks, mask_boxes, order[involved].tolist())[order]
    int_boxes = boxes.long().tolist()
    src = order.tolist()

    suppressed = torch.zeros(num, dtype=torch.bool, device=masks.device)
    for i in heads:
        if suppressed[i]:
            continue
        js = (cand[i] & ~suppressed).nonzero().flatten()
        if js.numel() == 0:
            continue
        x1, y1, x2, y2 = int_boxes[i]
        head = masks[src[i], y1:y2, x1:x2]
        inter = (masks[order[js], y1:y2, x1:x2] & head).flatten(1).sum(dim=1)
        union = (areas[i] + areas[js] - inter).clamp(min=1)
        ious = inter.float() / union.float()
        suppressed[js[ious > iou_thr]] = True
    return order[~suppressed]
