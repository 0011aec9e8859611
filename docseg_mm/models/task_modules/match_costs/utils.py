# Copyright (c) docseg_mm contributors. All rights reserved.
from torch import Tensor


def minmax_normalize(cost: Tensor, eps: float = 1e-10) -> Tensor:
    """Rescale a cost matrix to [0, 1] with its own minimum and maximum.

    ``(cost - min) / max(max - min, eps)``, the normalisation DocSAM applies
    to every matching cost term of one image before weighting. A constant
    matrix therefore becomes all zeros. NaN entries propagate (they make the
    whole matrix NaN, as in the reference), and an empty matrix is returned
    unchanged.

    Args:
        cost (Tensor): Cost matrix of any shape, usually (num_preds, num_gts).
        eps (float): Lower bound of the value range used as the divisor.
            Defaults to 1e-10.

    Returns:
        Tensor: The normalised matrix, same shape as ``cost``.
    """
    if cost.numel() == 0:
        return cost
    min_value = cost.min()
    value_range = (cost.max() - min_value).clamp(min=eps)
    return (cost - min_value) / value_range
