# Copyright (c) docseg_mm contributors. All rights reserved.
"""mmcv 2.1 under NumPy 2.

``mmcv.adjust_hue`` adds ``np.uint8(hue_factor * 255)`` to the hue channel;
NumPy 2 raises ``OverflowError`` for a negative factor instead of wrapping,
so mmpretrain's ``ColorJitter(hue=...)`` dies on about half of its draws.
:func:`adjust_hue` does the same rotation with explicit modular arithmetic
and :func:`patch_mmcv_adjust_hue` installs it where mmcv exposes the function.
"""
import cv2
import mmcv
import mmcv.image
import mmcv.image.photometric as photometric
import numpy as np


def adjust_hue(img: np.ndarray, hue_factor: float,
               backend: str = None) -> np.ndarray:
    """Rotate the hue of a BGR image by ``hue_factor`` of a full turn.

    Args:
        img (ndarray): BGR image.
        hue_factor (float): Shift in [-0.5, 0.5].
        backend (str, optional): Ignored (OpenCV is used). Defaults to None.

    Returns:
        ndarray: The image with the same dtype.
    """
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor {hue_factor} is not in [-0.5, 0.5].')
    if not (isinstance(img, np.ndarray) and img.ndim >= 3
            and img.shape[-1] == 3):
        raise TypeError('img must be a BGR image with 3 channels')
    dtype = img.dtype
    hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    shift = int(round(hue_factor * 255)) % 256
    hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + shift) % 256).astype(
        np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL).astype(dtype)


def patch_mmcv_adjust_hue() -> None:
    """Replace ``mmcv.adjust_hue`` (called by mmpretrain's ColorJitter)."""
    for module in (mmcv, mmcv.image, photometric):
        module.adjust_hue = adjust_hue
