# Copyright (c) docseg_mm contributors. All rights reserved.
import torch


def masked_average_pool(feats: torch.Tensor,
                        masks: torch.Tensor) -> torch.Tensor:
    """Average a feature map inside each of several masks.

    ``y_k = sum_hw F[:, h, w] * M_k[h, w] / sum_hw M_k[h, w]``.

    Args:
        feats (Tensor): Feature map of shape (C, H, W).
        masks (Tensor): Object masks of shape (N, H, W) with values in [0, 1].
            Every mask must have a positive sum.

    Returns:
        Tensor: Pooled features of shape (N, C).
    """
    if feats.shape[-2:] != masks.shape[-2:]:
        raise ValueError(f'mask grid {tuple(masks.shape[-2:])} does not match '
                         f'the feature map {tuple(feats.shape[-2:])}')
    masks = masks.to(feats.dtype)
    area = masks.flatten(1).sum(1, keepdim=True)  # (N, 1)
    summed = torch.einsum('nhw,chw->nc', masks, feats)  # (N, C)
    return summed / area
