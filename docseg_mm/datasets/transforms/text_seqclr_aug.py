# Copyright (c) docseg_mm contributors. All rights reserved.
"""SeqCLR-style word-image augmentation (DiG's augmented pretraining view).

DiG uses imgaug's ``SomeOf((2, 5), [...], random_order=True)``; imgaug does
not run under NumPy 2, so the ten operations are written with OpenCV and
NumPy, with imgaug's parameter ranges. ``PiecewiseAffine`` is approximated
by a bilinearly interpolated 4x4 grid of normal point jitters (imgaug
estimates a triangle-wise affine map from the same jitters).
"""
from typing import Callable, List, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from docseg_mm.registry import TRANSFORMS


def _u(low: float, high: float) -> float:
    return float(np.random.uniform(low, high))


def linear_contrast(img: np.ndarray) -> np.ndarray:
    """``128 + alpha (v - 128)``, alpha in [0.5, 1]."""
    alpha = _u(0.5, 1.0)
    return np.clip(128 + alpha * (img.astype(np.float32) - 128), 0,
                   255).astype(np.uint8)


def gaussian_blur(img: np.ndarray) -> np.ndarray:
    """Gaussian blur, sigma in [0.5, 1.5]."""
    return cv2.GaussianBlur(img, (0, 0), _u(0.5, 1.5))


def _crop_keep_size(img: np.ndarray, top: float, bottom: float, left: float,
                    right: float) -> np.ndarray:
    h, w = img.shape[:2]
    y0, y1 = int(round(top * h)), h - int(round(bottom * h))
    x0, x1 = int(round(left * w)), w - int(round(right * w))
    if y1 - y0 < 1 or x1 - x0 < 1:
        return img
    return cv2.resize(img[y0:y1, x0:x1], (w, h),
                      interpolation=cv2.INTER_LINEAR)


def crop_vertical(img: np.ndarray) -> np.ndarray:
    """Crop 0-30% from the top and from the bottom, resize back."""
    return _crop_keep_size(img, _u(0, 0.3), _u(0, 0.3), 0., 0.)


def crop_horizontal(img: np.ndarray) -> np.ndarray:
    """Crop 0-10% from the left and from the right, resize back."""
    return _crop_keep_size(img, 0., 0., _u(0, 0.1), _u(0, 0.1))


def sharpen(img: np.ndarray) -> np.ndarray:
    """imgaug's Sharpen, alpha and lightness in [0, 0.5]."""
    alpha, lightness = _u(0, 0.5), _u(0, 0.5)
    effect = -np.ones((3, 3), np.float32)
    effect[1, 1] = 8 + lightness
    identity = np.zeros((3, 3), np.float32)
    identity[1, 1] = 1
    kernel = (1 - alpha) * identity + alpha * effect
    return cv2.filter2D(img, -1, kernel)


def rotate(img: np.ndarray) -> np.ndarray:
    """Rotate by [-10, 10] degrees about the centre, same size, black
    corners (imgaug's constant mode)."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), _u(-10, 10), 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def piecewise_affine(img: np.ndarray, grid: int = 4) -> np.ndarray:
    """Jitter a grid of points (sigma 3-4% of the side), edge mode."""
    h, w = img.shape[:2]
    scale = _u(0.03, 0.04)
    dx = np.random.normal(0, scale * w, (grid, grid)).astype(np.float32)
    dy = np.random.normal(0, scale * h, (grid, grid)).astype(np.float32)
    dx = cv2.resize(dx, (w, h), interpolation=cv2.INTER_LINEAR)
    dy = cv2.resize(dy, (w, h), interpolation=cv2.INTER_LINEAR)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32),
                         np.arange(h, dtype=np.float32))
    return cv2.remap(img, xs + dx, ys + dy, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def perspective(img: np.ndarray) -> np.ndarray:
    """Map a quadrilateral with corners moved inwards by |N(0, s)| of the
    side (s in [0.05, 0.1]) onto the whole image (keep size)."""
    h, w = img.shape[:2]
    s = _u(0.05, 0.1)
    off = np.abs(np.random.normal(0, s, (4, 2))) * [w, h]
    src = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    quad = src + np.float32([[1, 1], [-1, 1], [-1, -1], [1, -1]]) * off
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), src)
    return cv2.warpPerspective(img, m, (w, h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)


def solarize(img: np.ndarray) -> np.ndarray:
    """Invert the values above (or, half of the time, below) a threshold in
    [32, 128]."""
    t = _u(32, 128)
    sel = img >= t if np.random.rand() < 0.5 else img < t
    return np.where(sel, 255 - img, img).astype(np.uint8)


def grayscale(img: np.ndarray) -> np.ndarray:
    """Blend with the grey image, alpha in [0, 1]."""
    if img.ndim == 2 or img.shape[2] == 1:
        return img
    a = _u(0, 1)
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[..., None]
    return np.clip((1 - a) * img + a * gray, 0, 255).astype(np.uint8)


#: DiG's list, in its order.
SEQCLR_OPS: List[Callable[[np.ndarray], np.ndarray]] = [
    linear_contrast, gaussian_blur, crop_vertical, crop_horizontal, sharpen,
    rotate, piecewise_affine, perspective, solarize, grayscale
]


@TRANSFORMS.register_module()
class TextSeqCLRAugment(BaseTransform):
    """Apply 2 to 5 of :data:`SEQCLR_OPS` (without repetition, in random
    order) to ``img``.

    Args:
        num_ops (tuple[int, int]): Inclusive range of the number of
            operations. Defaults to (2, 5).
    """

    def __init__(self, num_ops: Tuple[int, int] = (2, 5)) -> None:
        if not 0 <= num_ops[0] <= num_ops[1] <= len(SEQCLR_OPS):
            raise ValueError(f'bad num_ops {num_ops}')
        self.num_ops = tuple(num_ops)

    def transform(self, results: dict) -> dict:
        img = results['img']
        n = np.random.randint(self.num_ops[0], self.num_ops[1] + 1)
        for i in np.random.permutation(len(SEQCLR_OPS))[:n]:
            img = SEQCLR_OPS[i](img)
        results['img'] = np.ascontiguousarray(img)
        results['img_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(num_ops={self.num_ops})'
