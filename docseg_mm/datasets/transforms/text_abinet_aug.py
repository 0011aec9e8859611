# Copyright (c) docseg_mm contributors. All rights reserved.
"""ABINet-style geometry and deterioration for word images (DiG's
fine-tuning augmentation, ``--use_abi_aug``), with OpenCV.

The original draws the geometry type (rotation / affine / perspective) and
the deterioration parameters and order once, when the transform is built,
so every sample of a run gets the same kind of warp and the same noise
level. Here they are drawn per sample; ``faithful=True`` draws them once.
"""
import math
import random
from typing import Callable, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from docseg_mm.registry import TRANSFORMS

_INTERPOLATIONS = (cv2.INTER_NEAREST, cv2.INTER_LINEAR, cv2.INTER_CUBIC,
                   cv2.INTER_AREA)


def sample_asym(magnitude: float) -> float:
    """Beta(1, 4) * magnitude (mostly small)."""
    return float(np.random.beta(1, 4) * magnitude)


def sample_sym(magnitude: float) -> float:
    """(Beta(4, 4) - 0.5) * 2 * magnitude (symmetric about 0)."""
    return float((np.random.beta(4, 4) - 0.5) * 2 * magnitude)


def _warp_affine_expand(img: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Apply a forward 2x3 affine map on a canvas holding the whole
    result (replicated border, random interpolation)."""
    h, w = img.shape[:2]
    corners = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]],
                       np.float64)
    pts = corners @ m.T
    lo = pts.min(0)
    m = m.copy()
    m[:, 2] -= lo
    size = np.maximum(np.ceil(pts.max(0) - lo), 1).astype(int)
    return cv2.warpAffine(img, m, (int(size[0]), int(size[1])),
                          flags=random.choice(_INTERPOLATIONS),
                          borderMode=cv2.BORDER_REPLICATE)


def random_rotation(img: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate by ``sample_sym(degrees)`` without cutting corners."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), sample_sym(degrees), 1.0)
    return _warp_affine_expand(img, m)


def random_affine(img: np.ndarray, degrees: float,
                  scale: Sequence[float],
                  shear: Sequence[float]) -> np.ndarray:
    """Rotation, scale and x/y shear about the centre, canvas expanded."""
    h, w = img.shape[:2]
    angle = math.radians(sample_sym(degrees))
    s = float(np.random.uniform(scale[0], scale[1]))
    sx = math.radians(sample_sym(shear[0]))
    sy = math.radians(sample_sym(shear[1])) if len(shear) > 1 else 0.
    rot = np.array([[math.cos(angle), -math.sin(angle)],
                    [math.sin(angle), math.cos(angle)]])
    shr = np.array([[1, math.tan(sx)], [math.tan(sy), 1]])
    a = s * rot @ shr
    c = np.array([w / 2, h / 2])
    m = np.concatenate([a, (c - a @ c)[:, None]], axis=1)
    return _warp_affine_expand(img, m)


def random_perspective(img: np.ndarray, distortion: float) -> np.ndarray:
    """Move the corners inwards by ``sample_asym(distortion * side / 2)``
    and crop to the result."""
    h, w = img.shape[:2]
    oh = [int(sample_asym(distortion * h / 2)) for _ in range(4)]
    ow = [int(sample_asym(distortion * w / 2)) for _ in range(4)]
    src = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    dst = np.float32([[ow[0], oh[0]], [w - 1 - ow[1], oh[1]],
                      [w - 1 - ow[2], h - 1 - oh[2]],
                      [ow[3], h - 1 - oh[3]]])
    m = cv2.getPerspectiveTransform(src, dst)
    x0, y0 = int(dst[:, 0].min()), int(dst[:, 1].min())
    x1, y1 = int(math.ceil(dst[:, 0].max())) + 1, int(
        math.ceil(dst[:, 1].max())) + 1
    out = cv2.warpPerspective(img, m, (x1, y1),
                              flags=random.choice(_INTERPOLATIONS),
                              borderMode=cv2.BORDER_REPLICATE)
    return out[y0:, x0:]


@TRANSFORMS.register_module()
class TextGeometry(BaseTransform):
    """With probability ``prob``: a random rotation, affine map or
    perspective warp (one third each), ABINet's ``CVGeometry``.

    Args:
        degrees (float): Rotation magnitude. Defaults to 45.
        scale (Sequence[float]): Affine scale range. Defaults to (0.5, 2.).
        shear (Sequence[float]): x and y shear magnitudes (degrees).
            Defaults to (45, 15).
        distortion (float): Perspective magnitude. Defaults to 0.5.
        prob (float): Probability to apply. Defaults to 0.5.
        faithful (bool): Draw the warp type once at construction, as the
            original. Defaults to False.
    """

    def __init__(self, degrees: float = 45,
                 scale: Sequence[float] = (0.5, 2.),
                 shear: Sequence[float] = (45, 15),
                 distortion: float = 0.5, prob: float = 0.5,
                 faithful: bool = False) -> None:
        self.degrees, self.scale, self.shear = degrees, scale, shear
        self.distortion, self.prob = distortion, prob
        self.faithful = faithful
        self._fixed_kind = random.randrange(3) if faithful else None

    def transform(self, results: dict) -> dict:
        if random.random() >= self.prob:
            return results
        kind = self._fixed_kind if self.faithful else random.randrange(3)
        img = results['img']
        if kind == 0:
            img = random_rotation(img, self.degrees)
        elif kind == 1:
            img = random_affine(img, self.degrees, self.scale, self.shear)
        else:
            img = random_perspective(img, self.distortion)
        results['img'] = np.ascontiguousarray(img)
        results['img_shape'] = img.shape[:2]
        return results


def gaussian_noise(img: np.ndarray, var: float) -> np.ndarray:
    noise = np.random.normal(0, var**0.5, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def motion_blur(img: np.ndarray, degree: int, angle: float) -> np.ndarray:
    m = cv2.getRotationMatrix2D((degree // 2, degree // 2), angle, 1)
    kernel = np.zeros((degree, degree))
    kernel[degree // 2, :] = 1
    kernel = cv2.warpAffine(kernel, m, (degree, degree)) / degree
    return np.clip(cv2.filter2D(img, -1, kernel), 0, 255).astype(np.uint8)


def pyramid_rescale(img: np.ndarray, factor: int,
                    base_size: Tuple[int, int] = (128, 512)) -> np.ndarray:
    """Resize to ``base_size`` (h, w), ``pyrDown`` ``factor`` times and
    resize back (resolution loss)."""
    if factor == 0:
        return img
    h, w = img.shape[:2]
    out = cv2.resize(img, (base_size[1], base_size[0]),
                     interpolation=random.choice(_INTERPOLATIONS))
    for _ in range(factor):
        out = cv2.pyrDown(out)
    return cv2.resize(out, (w, h), interpolation=random.choice(
        _INTERPOLATIONS))


@TRANSFORMS.register_module()
class TextDeterioration(BaseTransform):
    """With probability ``prob``: Gaussian noise, motion blur and pyramid
    rescaling in random order (ABINet's ``CVDeterioration``).

    Args:
        var (float, optional): Noise variance magnitude. Defaults to 20.
        degrees (int, optional): Motion-blur kernel magnitude. Defaults to 6.
        factor (int, optional): Maximum pyramid levels. Defaults to 4.
        prob (float): Probability to apply. Defaults to 0.25.
        faithful (bool): Draw parameters and order once at construction, as
            the original. Defaults to False.
    """

    def __init__(self, var: Optional[float] = 20,
                 degrees: Optional[int] = 6, factor: Optional[int] = 4,
                 prob: float = 0.25, faithful: bool = False) -> None:
        self.var, self.degrees, self.factor = var, degrees, factor
        self.prob, self.faithful = prob, faithful
        self._fixed = self._draw() if faithful else None

    def _draw(self) -> List[Callable[[np.ndarray], np.ndarray]]:
        ops = []
        if self.var is not None:
            var = max(int(sample_asym(self.var)), 1)
            ops.append(lambda x: gaussian_noise(x, var))
        if self.degrees is not None:
            degree = max(int(sample_asym(self.degrees)), 1)
            angle = float(np.random.uniform(-90, 90))
            ops.append(lambda x: motion_blur(x, degree, angle))
        if self.factor is not None:
            factor = int(round(np.random.uniform(0, self.factor)))
            ops.append(lambda x: pyramid_rescale(x, factor))
        random.shuffle(ops)
        return ops

    def transform(self, results: dict) -> dict:
        if random.random() >= self.prob:
            return results
        img = results['img']
        for op in (self._fixed if self.faithful else self._draw()):
            img = op(img)
        results['img'] = img
        return results
