# Copyright (c) docseg_mm contributors. All rights reserved.
"""Per-image selection of the instance queries worth refining (DocSAM)."""
from typing import List, Sequence, Tuple

import torch
from torch import Tensor
from torchvision.ops import nms


def select_queries(cls_logits: Tensor,
                   boxes: Tensor,
                   padding_mask: Tensor,
                   num_labels: Sequence[int],
                   score_thr: float,
                   min_num: int = 100,
                   max_num: int = 900,
                   nms_iou: float = 0.9,
                   normalize_boxes: bool = True) -> List[Tensor]:
    """Choose the instance queries to keep for the next decoder stage.

    Per image: ``probs = softmax(logits[:, :C])`` (C = that image's class
    count, background last); score/label = max over the non-background
    classes; keep ``score > score_thr``, at least the ``min_num`` best;
    box NMS at ``nms_iou`` per label; at most ``max_num`` (the best).

    The kept queries come in the original's order: label by label
    (ascending), best first within a label; when more than ``max_num``
    survive the NMS, the ``max_num`` best, best first.

    Args:
        cls_logits (Tensor): ``(B, Q, K)`` class logits (K >= every C).
        boxes (Tensor): ``(B, Q, 4)`` xyxy boxes.
        padding_mask (Tensor): ``(B, Q)`` bool, True = padded query.
        num_labels (Sequence[int]): Class count (incl. background) per image.
        score_thr (float): Score threshold.
        min_num (int): Minimum kept queries. Defaults to 100.
        max_num (int): Maximum kept queries. Defaults to 900.
        nms_iou (float): IoU threshold of the per-label NMS.
            Defaults to 0.9.
        normalize_boxes (bool): Order each box's corners before the NMS. The
            original runs the NMS on the raw boxes, where an inverted box
            (x1 < x0) overlaps nothing. Defaults to True.

    Returns:
        list[Tensor]: Indices of the kept queries of each image.
    """
    keeps = []
    with torch.no_grad():
        for b, num in enumerate(num_labels):
            valid = (~padding_mask[b]).nonzero().squeeze(1)
            logits = cls_logits[b, valid, :num]
            # at least float32 (bf16 / fp16 logits under autocast)
            logits = logits.to(torch.promote_types(logits.dtype,
                                                   torch.float32))
            probs = logits.softmax(-1)
            scores, labels = probs[:, :num - 1].max(-1)
            cand = (scores > score_thr).nonzero().squeeze(1)
            if cand.numel() < min(min_num, valid.numel()):
                cand = scores.topk(min(min_num, valid.numel())).indices
            b_boxes = boxes[b, valid[cand]].to(logits.dtype)
            if normalize_boxes:
                b_boxes = torch.cat([
                    torch.minimum(b_boxes[:, :2], b_boxes[:, 2:]),
                    torch.maximum(b_boxes[:, :2], b_boxes[:, 2:])
                ], 1)
            c_scores, c_labels = scores[cand], labels[cand]
            kept = []
            for label in c_labels.unique():
                idx = (c_labels == label).nonzero().squeeze(1)
                kept.append(idx[nms(b_boxes[idx], c_scores[idx], nms_iou)])
            kept = torch.cat(kept)
            if kept.numel() > max_num:
                kept = kept[c_scores[kept].topk(max_num).indices]
            keeps.append(valid[cand[kept]])
    return keeps


def gather_queries(tensors: Sequence[Tensor],
                   keeps: Sequence[Tensor]) -> Tuple[List[Tensor], Tensor]:
    """Gather the kept queries of each image and re-pad the batch.

    Args:
        tensors (Sequence[Tensor]): Tensors shaped ``(B, Q, ...)``.
        keeps (Sequence[Tensor]): Kept indices per image.

    Returns:
        tuple: Gathered tensors ``(B, Q', ...)`` zero-padded to the largest
        kept count Q', and the new ``(B, Q')`` padding mask.
    """
    max_q = max(int(k.numel()) for k in keeps)
    outs = []
    for t in tensors:
        out = t.new_zeros((t.shape[0], max_q) + tuple(t.shape[2:]))
        for b, k in enumerate(keeps):
            out[b, :k.numel()] = t[b, k]
        outs.append(out)
    device = keeps[0].device
    mask = torch.ones(len(keeps), max_q, dtype=torch.bool, device=device)
    for b, k in enumerate(keeps):
        mask[b, :k.numel()] = False
    return outs, mask
