# Copyright (c) docseg_mm contributors. All rights reserved.
import torch
import torch.nn.functional as F


def masked_average_pool(feats: torch.Tensor,
                        masks: torch.Tensor) -> torch.Tensor:
    """Average a feature map inside each of several masks.

    ``y_k = sum_hw F[:, h, w] * M_k[h, w] / sum_hw M_k[h, w]``.

    The masks may live on a grid ``s`` times finer than the features (an
    integer factor in both directions). The result then equals pooling the
    features upsampled ``s`` times with nearest interpolation, without ever
    building that map: each feature cell is weighted by the mask pixels that
    fall into it.

    Args:
        feats (Tensor): Feature map of shape (C, H, W).
        masks (Tensor): Object masks of shape (N, sH, sW) with values in
            [0, 1]. Every mask must have a positive sum.

    Returns:
        Tensor: Pooled features of shape (N, C).
    """
    (h, w), (mh, mw) = feats.shape[-2:], masks.shape[-2:]
    if mh % h or mw % w or mh // h != mw // w:
        raise ValueError(f'mask grid {(mh, mw)} is not an integer multiple '
                         f'of the feature map {(h, w)}')
    masks = masks.to(feats.dtype)
    area = masks.flatten(1).sum(1, keepdim=True)  # (N, 1)
    scale = mh // h
    if scale > 1:  # mask pixels per feature cell
        masks = F.avg_pool2d(masks[None], scale)[0] * scale * scale
    summed = torch.einsum('nhw,chw->nc', masks, feats)  # (N, C)
    return summed / area
