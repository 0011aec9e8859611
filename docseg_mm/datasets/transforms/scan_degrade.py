# Copyright (c) docseg_mm contributors. All rights reserved.
"""Scan-like degradation of born-digital page images (photometric only)."""
from typing import Optional, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from docseg_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomScanDegrade(BaseTransform):
    """Make a rendered page look scanned or photocopied, leaving its labels.

    Each effect is applied independently with its probability, in this
    order: gray/tinted paper, faded or darkened ink, blur, Gaussian noise,
    JPEG compression. Geometry is not changed (pair with ``mmdet.Rotate``
    for slight skew, which also rotates boxes and masks), so boxes, masks
    and segmentation maps stay valid.

    Required keys: ``img`` (``uint8``, gray or BGR). Modified keys: ``img``.

    Args:
        prob (float): Probability that the page is degraded at all.
            Defaults to 0.5.
        paper_prob (float): Probability of a gray or yellowish paper tone.
            Defaults to 0.5.
        paper_range (tuple): Range of the paper brightness factor.
            Defaults to (0.78, 0.97).
        ink_prob (float): Probability of faded or darkened ink (a contrast
            change around the paper colour). Defaults to 0.3.
        blur_prob (float): Probability of a Gaussian blur. Defaults to 0.3.
        blur_sigma (tuple): Range of the blur sigma in pixels.
            Defaults to (0.3, 1.0).
        noise_prob (float): Probability of additive Gaussian noise.
            Defaults to 0.4.
        noise_std (tuple): Range of the noise standard deviation.
            Defaults to (2.0, 10.0).
        jpeg_prob (float): Probability of JPEG re-compression.
            Defaults to 0.4.
        jpeg_quality (tuple): Range of the JPEG quality. Defaults to
            (30, 85).
        seed (int, optional): Fixed seed (tests); None draws from numpy's
            global generator like mmcv's random transforms.
            Defaults to None.
    """

    def __init__(self,
                 prob: float = 0.5,
                 paper_prob: float = 0.5,
                 paper_range: Tuple[float, float] = (0.78, 0.97),
                 ink_prob: float = 0.3,
                 blur_prob: float = 0.3,
                 blur_sigma: Tuple[float, float] = (0.3, 1.0),
                 noise_prob: float = 0.4,
                 noise_std: Tuple[float, float] = (2.0, 10.0),
                 jpeg_prob: float = 0.4,
                 jpeg_quality: Tuple[int, int] = (30, 85),
                 seed: Optional[int] = None) -> None:
        for name, p in dict(prob=prob, paper_prob=paper_prob,
                            ink_prob=ink_prob, blur_prob=blur_prob,
                            noise_prob=noise_prob,
                            jpeg_prob=jpeg_prob).items():
            if not 0.0 <= p <= 1.0:
                raise ValueError(f'{name} must be in [0, 1], got {p}')
        if not 1 <= jpeg_quality[0] <= jpeg_quality[1] <= 100:
            raise ValueError(f'jpeg_quality must be an increasing range in '
                             f'[1, 100], got {jpeg_quality}')
        self.prob = prob
        self.paper_prob = paper_prob
        self.paper_range = paper_range
        self.ink_prob = ink_prob
        self.blur_prob = blur_prob
        self.blur_sigma = blur_sigma
        self.noise_prob = noise_prob
        self.noise_std = noise_std
        self.jpeg_prob = jpeg_prob
        self.jpeg_quality = jpeg_quality
        self._rng = np.random.default_rng(seed) if seed is not None \
            else None

    def _generator(self) -> np.random.Generator:
        # numpy's global state is what mmengine seeds per worker
        return self._rng or np.random.default_rng(np.random.randint(1 << 31))

    def degrade(self, img: np.ndarray,
                rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """Apply the sampled effects to one ``uint8`` image."""
        rng = rng or self._generator()
        out = img.astype(np.float32)
        paper = 255.0
        if rng.random() < self.paper_prob:
            paper = 255.0 * rng.uniform(*self.paper_range)
            tone = np.ones(3, np.float32)
            if out.ndim == 3 and rng.random() < 0.5:  # yellowish (BGR)
                tone = np.array([rng.uniform(0.85, 0.97),
                                 rng.uniform(0.95, 1.0), 1.0], np.float32)
            scale = paper / 255.0 * (tone if out.ndim == 3 else 1.0)
            out = out * scale
        if rng.random() < self.ink_prob:
            c = rng.uniform(0.6, 1.2)
            out = paper - (paper - out) * c
        if rng.random() < self.blur_prob:
            out = cv2.GaussianBlur(out, (0, 0), rng.uniform(*self.blur_sigma))
        if rng.random() < self.noise_prob:
            out = out + rng.normal(0.0, rng.uniform(*self.noise_std),
                                   out.shape).astype(np.float32)
        out = np.clip(out + 0.5, 0, 255).astype(np.uint8)
        if rng.random() < self.jpeg_prob:
            q = int(rng.integers(self.jpeg_quality[0],
                                 self.jpeg_quality[1] + 1))
            ok, enc = cv2.imencode('.jpg', out, [cv2.IMWRITE_JPEG_QUALITY, q])
            if ok:
                flag = cv2.IMREAD_COLOR if out.ndim == 3 else \
                    cv2.IMREAD_GRAYSCALE
                out = cv2.imdecode(enc, flag).reshape(out.shape)
        return out

    def transform(self, results: dict) -> dict:
        rng = self._generator()
        if rng.random() < self.prob:
            results['img'] = self.degrade(results['img'], rng)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'paper_prob={self.paper_prob}, ink_prob={self.ink_prob}, '
                f'blur_prob={self.blur_prob}, noise_prob={self.noise_prob}, '
                f'jpeg_prob={self.jpeg_prob})')
