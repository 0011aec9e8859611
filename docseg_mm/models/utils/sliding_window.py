# Copyright (c) docseg_mm contributors. All rights reserved.
"""Sliding-window tiling and thumbnail + window merging (DocSAM, spec B9)."""
import math
from typing import List, Sequence, Tuple

import torch
from mmengine.structures import InstanceData
from torch import Tensor

from .mask_nms import mask_areas, mask_nms, masks_to_tight_boxes

# (window xyxy box in image pixels, predictions at window resolution)
InstanceWindow = Tuple[Tensor, InstanceData]
SemanticWindow = Tuple[Tensor, Tensor]


def _axis_starts(length: int, patch: int,
                 stride: int) -> Tuple[List[int], int]:
    """Window start offsets and window extent along one axis."""
    if patch <= 0 or stride <= 0:
        raise ValueError(f'patch ({patch}) and stride ({stride}) must be '
                         'positive')
    if length <= patch:
        return [0], length
    num = math.ceil((length - patch) / stride) + 1
    starts = sorted({min(i * stride, length - patch) for i in range(num)})
    return starts, patch


def slide_window_boxes(
    height: int,
    width: int,
    patch_size: Tuple[int, int] = (640, 640),
    stride: Tuple[int, int] = (320, 320)
) -> Tensor:
    """Windows tiling an image, as in DocSAM ``sliding_window_crop``.

    Along each axis windows start every ``stride`` pixels; the last one is
    shifted back so that it ends exactly at the image border. An axis that
    is not longer than the patch gets a single window of the image extent.
    Windows are listed row by row (y outer, x inner) without duplicates.

    Args:
        height (int): Image height.
        width (int): Image width.
        patch_size (tuple[int, int]): Window (h, w). Defaults to (640, 640).
        stride (tuple[int, int]): Step (h, w). Defaults to (320, 320).

    Returns:
        Tensor: Windows of shape (N, 4), long, xyxy (x2/y2 exclusive).
    """
    ys, win_h = _axis_starts(height, patch_size[0], stride[0])
    xs, win_w = _axis_starts(width, patch_size[1], stride[1])
    boxes = [[x, y, x + win_w, y + win_h] for y in ys for x in xs]
    return torch.tensor(boxes, dtype=torch.long)


def _touches_border(boxes: Tensor, window: Tuple[int, int, int, int],
                    image_size: Tuple[int, int], margin: int,
                    faithful: bool) -> Tensor:
    """Flag tight mask boxes lying within ``margin`` px of a window edge.

    The boxes are in window coordinates with exclusive right / bottom.
    """
    x1, y1, x2, y2 = window
    win_w, win_h = x2 - x1, y2 - y1
    left, top = boxes[:, 0], boxes[:, 1]
    right, bottom = boxes[:, 2], boxes[:, 3]
    if faithful:
        # Literal DocSAM rule on the inclusive mask box, any window edge.
        near_left, near_top = left < margin, top < margin
        near_right = right - 1 > win_w - margin
        near_bottom = bottom - 1 > win_h - margin
        return near_left | near_top | near_right | near_bottom
    # Only edges that cut the image count: a mask at the image border is
    # complete and must not be down-weighted.
    height, width = image_size
    near_left = (left < margin) & (x1 > 0)
    near_top = (top < margin) & (y1 > 0)
    near_right = (win_w - right < margin) & (x2 < width)
    near_bottom = (win_h - bottom < margin) & (y2 < height)
    return near_left | near_top | near_right | near_bottom


def _cat_instances(a: InstanceData, b: InstanceData) -> InstanceData:
    out = InstanceData()
    for key in ('masks', 'scores', 'labels', 'bboxes'):
        out.set_field(torch.cat([a.get(key), b.get(key)]), key)
    return out


def merge_slide_instances(thumb: InstanceData,
                          windows: Sequence[InstanceWindow],
                          image_size: Tuple[int, int],
                          thumb_score_factor: float = 0.75,
                          border_score_factor: float = 0.5,
                          border_margin: int = 4,
                          nms_iou: float = 0.5,
                          faithful: bool = False) -> InstanceData:
    """Merge thumbnail and window instances into full-image instances.

    DocSAM ``predict_slide_window``: thumbnail scores are multiplied by
    ``thumb_score_factor``; a window instance whose tight mask box lies less
    than ``border_margin`` px from a window edge gets ``border_score_factor``;
    window masks/boxes are pasted at the window offset; after each window
    the accumulated instances are concatenated with the window's and reduced
    by class-aware :func:`mask_nms` (IoU ``nms_iou``).

    Border rule: by default only window edges inside the image count (an
    object cut by a window edge is likely incomplete; one touching the image
    border is not), the distance being the number of empty pixel rows /
    columns between the mask and the edge. With ``faithful=True`` the
    literal original rule is used: every window edge counts, with the
    original comparisons on the inclusive mask box (``x1 < m``,
    ``y1 < m``, ``x2 > w - m``, ``y2 > h - m``).

    Args:
        thumb (InstanceData): Thumbnail instances at full image size:
            ``masks`` (n, H, W) bool, ``scores``, ``labels``, ``bboxes``.
        windows (Sequence[tuple[Tensor, InstanceData]]): Per window its
            xyxy box in the image and its instances at window resolution
            (masks (n, y2 - y1, x2 - x1), boxes in window coordinates).
        image_size (tuple[int, int]): Full image (H, W).
        thumb_score_factor (float): Thumbnail score factor.
            Defaults to 0.75.
        border_score_factor (float): Factor for instances at a window
            border. Defaults to 0.5.
        border_margin (int): Border distance in pixels. Defaults to 4.
        nms_iou (float): Mask IoU threshold of the merge NMS.
            Defaults to 0.5.
        faithful (bool): Use the literal original border rule.
            Defaults to False.

    Returns:
        InstanceData: Merged instances at full image size, sorted by mask
        area (largest first, as the original output); ties keep the NMS
        order, i.e. decreasing score.
    """
    height, width = image_size
    merged = InstanceData(
        masks=thumb.masks.bool(),
        scores=thumb.scores.float() * thumb_score_factor,
        labels=thumb.labels.long(),
        bboxes=thumb.bboxes.float())
    merged_tight = masks_to_tight_boxes(merged.masks)
    for box, inst in windows:
        x1, y1, x2, y2 = (int(v) for v in box)
        if len(inst) == 0:
            continue
        masks = inst.masks.bool()
        if tuple(masks.shape[-2:]) != (y2 - y1, x2 - x1):
            raise ValueError(f'window masks {tuple(masks.shape[-2:])} do '
                             f'not match window {(x1, y1, x2, y2)}')
        tight = masks_to_tight_boxes(masks)
        touch = _touches_border(tight, (x1, y1, x2, y2), image_size,
                                border_margin, faithful)
        scores = inst.scores.float().clone()
        scores[touch] = scores[touch] * border_score_factor
        pasted = masks.new_zeros((masks.size(0), height, width))
        pasted[:, y1:y2, x1:x2] = masks
        offset = tight.new_tensor([x1, y1, x1, y1])
        window = InstanceData(
            masks=pasted,
            scores=scores,
            labels=inst.labels.long(),
            bboxes=inst.bboxes.float() + offset.to(inst.bboxes.device))
        merged = _cat_instances(merged, window)
        merged_tight = torch.cat([merged_tight, tight + offset])
        keep = mask_nms(
            merged.masks,
            merged.scores,
            merged.labels,
            nms_iou,
            mask_boxes=merged_tight)
        merged, merged_tight = merged[keep], merged_tight[keep]
    areas = mask_areas(merged.masks, merged_tight)
    order = torch.sort(areas, descending=True, stable=True).indices
    return merged[order]


def merge_slide_semantic(thumb: Tensor, windows: Sequence[SemanticWindow],
                         image_size: Tuple[int, int]) -> Tensor:
    """Average thumbnail and window semantic masks by majority vote.

    Each pixel is set when the number of positive votes divided by the
    number of predictions covering it (the thumbnail plus every window
    containing the pixel) is strictly greater than 0.5.

    Args:
        thumb (Tensor): Thumbnail masks of shape (C, H, W) at full size.
        windows (Sequence[tuple[Tensor, Tensor]]): Per window its xyxy box
            and its (C, y2 - y1, x2 - x1) bool masks.
        image_size (tuple[int, int]): Full image (H, W).

    Returns:
        Tensor: Bool masks of shape (C, H, W).
    """
    height, width = image_size
    votes = thumb.float().clone()
    count = votes.new_ones((height, width))
    for box, masks in windows:
        x1, y1, x2, y2 = (int(v) for v in box)
        votes[:, y1:y2, x1:x2] += masks.float()
        count[y1:y2, x1:x2] += 1
    return votes / count > 0.5
