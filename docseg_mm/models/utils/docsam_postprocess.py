# Copyright (c) docseg_mm contributors. All rights reserved.
"""Post-processing of DocSAM predictions (spec B9): the queries of one
patch to instances and semantic masks, and the rescale to the original
image."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor

from .mask_nms import mask_nms


def _upsample(logits: Tensor, size: Tuple[int, int]) -> Tensor:
    """Bilinearly resize (N, h, w) logits to ``size`` (align_corners=False)."""
    if logits.size(0) == 0:
        return logits.new_zeros((0, *size), dtype=torch.float32)
    if tuple(logits.shape[-2:]) == tuple(size):
        return logits.float()
    return F.interpolate(
        logits[None].float(), size=size, mode='bilinear',
        align_corners=False)[0]


def empty_instances(
    out_size: Tuple[int, int], device: torch.device = torch.device('cpu')
) -> InstanceData:
    """Build an InstanceData with zero instances and the usual fields.

    Args:
        out_size (tuple[int, int]): Mask size (H, W).
        device (torch.device): Device of the tensors. Defaults to CPU.

    Returns:
        InstanceData: ``masks`` (0, H, W) bool, ``scores`` (0,),
        ``labels`` (0,) long and ``bboxes`` (0, 4).
    """
    results = InstanceData()
    results.masks = torch.zeros((0, *out_size),
                                dtype=torch.bool,
                                device=device)
    results.scores = torch.zeros(0, device=device)
    results.labels = torch.zeros(0, dtype=torch.long, device=device)
    results.bboxes = torch.zeros((0, 4), device=device)
    return results


def postprocess_instances(cls_logits: Tensor,
                          mask_logits: Tensor,
                          bboxes: Tensor,
                          in_size: Tuple[int, int],
                          out_size: Tuple[int, int],
                          score_thr: float = 0.01,
                          mask_thr: float = 0.5,
                          nms_iou: float = 0.25,
                          max_per_img: Optional[int] = None) -> InstanceData:
    """Turn the query predictions of one patch into scored instances.

    Steps (DocSAM ``post_process_instance_segmentation``):

    1. ``probs = softmax(cls_logits)`` over all C columns; score and label
       are the max / argmax over the first C - 1 (non-background) columns.
    2. Keep queries with ``score >= score_thr``; if none passes, keep the
       single best query (the original keeps query 0 instead).
    3. Upsample the mask logits bilinearly (align_corners=False) to
       ``out_size``; ``mask = sigmoid > mask_thr``.
    4. Drop queries whose upsampled mask is empty (the original tests
       emptiness at the logit resolution and keeps one query even if all
       are empty; here the output may contain zero instances).
    5. ``score = class score * mean sigmoid probability inside the mask``.
    6. Class-aware mask NMS with IoU ``nms_iou``; the result is sorted by
       score (descending) and optionally truncated to ``max_per_img``.

    Args:
        cls_logits (Tensor): Class logits of shape (Q, C), background last.
        mask_logits (Tensor): Mask logits of shape (Q, h, w) covering the
            ``in_size`` region (typically stride 4).
        bboxes (Tensor): Boxes of shape (Q, 4), xyxy in ``in_size`` pixels.
        in_size (tuple[int, int]): (H, W) of the model input.
        out_size (tuple[int, int]): (H, W) to resize masks and boxes to.
        score_thr (float): Minimum class score. Defaults to 0.01.
        mask_thr (float): Threshold on the mask probability.
            Defaults to 0.5.
        nms_iou (float): Mask IoU threshold of the NMS. Defaults to 0.25.
        max_per_img (int, optional): Keep at most this many instances.
            Defaults to None (no limit).

    Returns:
        InstanceData: ``masks`` (N, H_out, W_out) bool, ``scores`` (N,),
        ``labels`` (N,) long, 0-based over the non-background classes, and
        ``bboxes`` (N, 4) xyxy in ``out_size`` pixels.
    """
    device = cls_logits.device
    if cls_logits.size(0) == 0:
        return empty_instances(out_size, device)
    probs = cls_logits.float().softmax(dim=-1)[:, :-1]
    scores, labels = probs.max(dim=-1)
    keep = scores >= score_thr
    if not keep.any():
        keep[scores.argmax()] = True
    scores, labels = scores[keep], labels[keep]

    mask_probs = _upsample(mask_logits[keep], out_size).sigmoid()
    masks = mask_probs > mask_thr
    # uint8 view: much faster than summing bools (promoted to int64)
    areas = masks.view(torch.uint8).flatten(1).sum(dim=1, dtype=torch.int32)
    nonempty = areas > 0
    if not nonempty.any():
        return empty_instances(out_size, device)
    # mean probability inside the binary mask
    prob_sums = mask_probs.mul_(masks).flatten(1).sum(dim=1)
    mask_scores = prob_sums[nonempty] / areas[nonempty]
    masks = masks[nonempty]
    scores, labels = scores[nonempty], labels[nonempty]
    scores = scores * mask_scores

    scale_y = out_size[0] / in_size[0]
    scale_x = out_size[1] / in_size[1]
    scale = bboxes.new_tensor([scale_x, scale_y, scale_x, scale_y]).float()
    boxes = bboxes[keep][nonempty].float() * scale

    kept = mask_nms(masks, scores, labels, nms_iou)
    if max_per_img is not None:
        kept = kept[:max_per_img]
    results = InstanceData()
    results.masks = masks[kept]
    results.scores = scores[kept]
    results.labels = labels[kept]
    results.bboxes = boxes[kept]
    return results


def postprocess_semantic(sem_logits: Tensor,
                         out_size: Tuple[int, int],
                         thr: float = 0.5) -> Tensor:
    """Binarise per-class semantic logits of one patch.

    Args:
        sem_logits (Tensor): Semantic logits of shape (C, h, w), with the
            background slot last.
        out_size (tuple[int, int]): (H, W) to upsample to (bilinear,
            align_corners=False).
        thr (float): Threshold on the sigmoid probability. Defaults to 0.5.

    Returns:
        Tensor: Bool masks of shape (C - 1, H, W), background dropped.
    """
    return _upsample(sem_logits[:-1], out_size).sigmoid() > thr


def rescale_predictions(inst: InstanceData, sem: Tensor,
                        meta: dict) -> Tuple[InstanceData, Tensor]:
    """Bring one image's results from the resized input to the original.

    Masks are resized bilinearly (align_corners=False) to ``ori_shape`` and
    thresholded at 0.5; boxes are divided by ``scale_factor``.

    Args:
        inst (InstanceData): ``masks`` (N, h, w) bool, ``bboxes`` (N, 4).
        sem (Tensor): (C, h, w) bool semantic masks.
        meta (dict): ``ori_shape`` and optionally ``scale_factor`` (w, h
            factors; defaults to 1).

    Returns:
        tuple[InstanceData, Tensor]: The results at ``ori_shape``.
    """
    oh, ow = meta['ori_shape'][:2]
    if len(inst):
        inst.masks = F.interpolate(
            inst.masks[None].float(), (oh, ow),
            mode='bilinear', align_corners=False)[0] > 0.5
        sx, sy = meta.get('scale_factor', (1.0, 1.0))[:2]
        inst.bboxes = inst.bboxes / inst.bboxes.new_tensor([sx, sy, sx, sy])
    else:
        inst.masks = inst.masks.new_zeros((0, oh, ow))
    if sem.shape[-2:] != (oh, ow):
        sem = F.interpolate(
            sem[None].float(), (oh, ow), mode='bilinear',
            align_corners=False)[0] > 0.5
    return inst, sem
