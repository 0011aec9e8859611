# Copyright (c) docseg_mm contributors. All rights reserved.
"""DocSAM's training geometry: short-side resize, then resize or crop."""
import random
from typing import Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmdet.datasets.transforms import Resize as MMDetResize
from mmdet.structures.bbox import BaseBoxes

from docseg_mm.registry import TRANSFORMS


def _resize_to(results: dict, size: Tuple[int, int], **kwargs) -> dict:
    """Resize to exactly ``size`` (w, h) with mmdet's box/mask-aware Resize.

    ``scale_factor`` is composed with an earlier one (mmdet's Resize would
    overwrite it), so it maps the original image to the output.
    """
    previous = results.get('scale_factor', None)
    results = MMDetResize(scale=size, keep_ratio=False, **kwargs)(results)
    if previous is not None:
        w_scale, h_scale = results['scale_factor']
        results['scale_factor'] = (previous[0] * w_scale,
                                   previous[1] * h_scale)
    return results


def _check_pair(value: Sequence, name: str, low: float = 0) -> Tuple:
    """Check a 2-sequence of numbers > ``low`` with value[0] <= value[1]."""
    if len(value) != 2 or not all(v > low for v in value):
        raise ValueError(f'{name} must be two numbers > {low}, got {value!r}')
    return tuple(value)


@TRANSFORMS.register_module()
class RandomShortSideResize(BaseTransform):
    """DocSAM's random resize (B7 step 1), boxes and masks included.

    Default mode: the short side becomes ``short`` ~ U{short_range} (both
    ends included; ``test_short`` fixes it for testing) and the long side
    ``min(long * short / short_side, long_max_ratio * short)``, i.e. the
    aspect ratio is kept unless the long side is capped.

    ``keep_size=True``: height and width are scaled independently by
    ``2 ** U(-jitter, jitter)`` (use ``jitter=0`` for testing), then both
    by one factor that brings the short side into ``clamp``; finally the
    long side is capped at ``long_max_ratio`` x short side.

    The resize itself is mmdet's ``Resize(scale=(w, h), keep_ratio=False)``
    (``gt_bboxes``, ``gt_masks``, ``gt_seg_map``, ``homography_matrix``);
    ``scale_factor`` is composed with an earlier one.

    Required Keys: ``img``; optional ``gt_bboxes``, ``gt_masks``,
    ``gt_seg_map``, ``scale_factor``.

    Modified Keys: ``img``, ``img_shape``, ``gt_bboxes``, ``gt_masks``,
    ``gt_seg_map``.

    Added Keys: ``scale``, ``scale_factor``, ``keep_ratio``,
    ``homography_matrix``.

    Args:
        short_range (tuple[int, int]): Range of the short side (default
            mode). Defaults to (704, 896).
        long_max_ratio (float): Cap of long side / short side. Defaults to
            2.0.
        keep_size (bool): Jitter-and-clamp mode. Defaults to False.
        jitter (float): Log2 jitter of each side (keep_size mode). Defaults
            to 0.2.
        clamp (tuple[int, int]): Short side range (keep_size mode).
            Defaults to (640, 1280).
        test_short (int, optional): Fixed short side (default mode, for
            testing). Defaults to None.
        interpolation (str): Image interpolation of mmdet's Resize
            (DocSAM uses area interpolation). Defaults to 'bilinear'.
        backend (str): Resize backend. Defaults to 'cv2'.
        clip_object_border (bool): Clip boxes to the image. Defaults to
            True.
    """

    def __init__(self,
                 short_range: Tuple[int, int] = (704, 896),
                 long_max_ratio: float = 2.0,
                 keep_size: bool = False,
                 jitter: float = 0.2,
                 clamp: Tuple[int, int] = (640, 1280),
                 test_short: Optional[int] = None,
                 interpolation: str = 'bilinear',
                 backend: str = 'cv2',
                 clip_object_border: bool = True) -> None:
        self.short_range = _check_pair(short_range, 'short_range')
        self.clamp = _check_pair(clamp, 'clamp')
        if self.short_range[0] > self.short_range[1] or \
                self.clamp[0] > self.clamp[1]:
            raise ValueError('short_range and clamp must be (low, high), got '
                             f'{short_range} and {clamp}')
        if long_max_ratio < 1:
            raise ValueError(f'long_max_ratio must be >= 1, got '
                             f'{long_max_ratio}')
        if jitter < 0:
            raise ValueError(f'jitter must be >= 0, got {jitter}')
        if test_short is not None and (keep_size or test_short <= 0):
            raise ValueError(
                'test_short must be > 0 and only applies with '
                'keep_size=False (test keep_size mode with jitter=0), got '
                f'test_short={test_short}, keep_size={keep_size}')
        self.long_max_ratio = float(long_max_ratio)
        self.keep_size = keep_size
        self.jitter = float(jitter)
        self.test_short = test_short
        self.resize_kwargs = dict(
            interpolation=interpolation,
            backend=backend,
            clip_object_border=clip_object_border)

    @cache_randomness
    def _random_factors(self) -> Tuple[float, float, int]:
        """``(height factor, width factor, short side)`` draws."""
        if self.keep_size:
            fh = 2.0**random.uniform(-self.jitter, self.jitter)
            fw = 2.0**random.uniform(-self.jitter, self.jitter)
            return fh, fw, 0
        if self.test_short is not None:
            return 1.0, 1.0, int(self.test_short)
        return 1.0, 1.0, random.randint(*map(int, self.short_range))

    def target_size(self, height: int, width: int) -> Tuple[int, int]:
        """Draw the output size of an image.

        Args:
            height (int): Input height.
            width (int): Input width.

        Returns:
            tuple[int, int]: Output ``(width, height)``.
        """
        fh, fw, short = self._random_factors()
        if self.keep_size:
            h, w = height * fh, width * fw
            low, high = self.clamp
            side = min(h, w)
            k = low / side if side < low else high / side if side > high \
                else 1.0
            h, w = h * k, w * k
            cap = self.long_max_ratio * min(h, w)
        else:
            k = short / min(height, width)
            h, w = height * k, width * k
            cap = self.long_max_ratio * short
        new_h = max(1, int(round(min(h, cap))))
        new_w = max(1, int(round(min(w, cap))))
        return new_w, new_h

    def transform(self, results: dict) -> dict:
        """Resize the image and its annotations.

        Args:
            results (dict): Result dict with ``img``.

        Returns:
            dict: The resized results.
        """
        height, width = results['img'].shape[:2]
        size = self.target_size(height, width)
        return _resize_to(results, size, **self.resize_kwargs)

    def __repr__(self) -> str:
        """Describe the transform."""
        return (f'{type(self).__name__}(short_range={self.short_range}, '
                f'long_max_ratio={self.long_max_ratio}, keep_size='
                f'{self.keep_size}, jitter={self.jitter}, clamp={self.clamp}'
                f', test_short={self.test_short})')


@TRANSFORMS.register_module()
class RandomResizeOrCrop(BaseTransform):
    """Resize to the patch size or crop a patch (DocSAM B7 step 2).

    With probability ``resize_prob`` the image is resized to exactly
    ``patch_size`` (aspect distortion) by mmdet's ``Resize``
    (``keep_ratio=False``); otherwise a random window of ``patch_size``
    (clipped to the image when it is smaller) is cropped. After a crop an
    instance is kept when its box overlaps the window by at least
    ``min(margin, box width)`` px horizontally and ``min(margin, box
    height)`` px vertically (DocSAM drops boxes reaching < ``margin`` px
    into the crop; small boxes fully inside are kept here); boxes are
    clipped, polygons are intersected with the window (mmdet
    ``PolygonMasks.crop``), bitmap masks cut, and instances whose mask
    becomes empty are dropped. A result without instances is allowed.

    Required Keys: ``img``; optional ``gt_bboxes``, ``gt_bboxes_labels``,
    ``gt_ignore_flags``, ``gt_masks``, ``gt_seg_map``.

    Modified Keys: ``img``, ``img_shape``, the ``gt_*`` keys,
    ``homography_matrix``; resize also ``scale_factor``.

    Args:
        patch_size (tuple[int, int]): Patch ``(width, height)``. Defaults to
            (640, 640).
        resize_prob (float): Probability of resizing. Defaults to 0.2.
        margin (float): Overlap margin in pixels. Defaults to 4.
        interpolation (str): Image interpolation of the resize. Defaults to
            'bilinear'.
        backend (str): Resize backend. Defaults to 'cv2'.
    """

    def __init__(self,
                 patch_size: Tuple[int, int] = (640, 640),
                 resize_prob: float = 0.2,
                 margin: float = 4,
                 interpolation: str = 'bilinear',
                 backend: str = 'cv2') -> None:
        self.patch_size = tuple(
            int(v) for v in _check_pair(patch_size, 'patch_size'))
        if not 0 <= resize_prob <= 1:
            raise ValueError(f'resize_prob must be in [0, 1], got '
                             f'{resize_prob}')
        if margin < 0:
            raise ValueError(f'margin must be >= 0, got {margin}')
        self.resize_prob = float(resize_prob)
        self.margin = float(margin)
        self.resize_kwargs = dict(interpolation=interpolation, backend=backend)

    @cache_randomness
    def _choose(self, height: int, width: int) -> Tuple[bool, int, int]:
        """``(resize?, x0, y0)`` draws."""
        do_resize = random.random() < self.resize_prob
        crop_w, crop_h = min(self.patch_size[0], width), \
            min(self.patch_size[1], height)
        x0 = random.randint(0, width - crop_w)
        y0 = random.randint(0, height - crop_h)
        return do_resize, x0, y0

    def transform(self, results: dict) -> dict:
        """Resize or crop the image and its annotations.

        Args:
            results (dict): Result dict with ``img``.

        Returns:
            dict: The patch.
        """
        height, width = results['img'].shape[:2]
        do_resize, x0, y0 = self._choose(height, width)
        if do_resize:
            return _resize_to(results, self.patch_size, **self.resize_kwargs)
        crop_w = min(self.patch_size[0], width)
        crop_h = min(self.patch_size[1], height)
        return self.crop(results, (x0, y0, x0 + crop_w, y0 + crop_h))

    def keep_mask(self, boxes: np.ndarray, window: Tuple[int, int, int,
                                                         int]) -> np.ndarray:
        """Which xyxy boxes overlap ``window`` enough to be kept.

        Args:
            boxes (np.ndarray): (N, 4) boxes.
            window (tuple): Crop ``(x1, y1, x2, y2)``.

        Returns:
            np.ndarray: (N,) bool.
        """
        boxes = boxes.reshape(-1, 4)
        ix = np.minimum(boxes[:, 2], window[2]) - np.maximum(
            boxes[:, 0], window[0])
        iy = np.minimum(boxes[:, 3], window[3]) - np.maximum(
            boxes[:, 1], window[1])
        need_x = np.minimum(self.margin, boxes[:, 2] - boxes[:, 0])
        need_y = np.minimum(self.margin, boxes[:, 3] - boxes[:, 1])
        return (ix > 0) & (iy > 0) & (ix >= need_x) & (iy >= need_y)

    def crop(self, results: dict, window: Tuple[int, int, int, int]) -> dict:
        """Crop ``results`` to ``window`` = ``(x1, y1, x2, y2)`` (ints).

        Args:
            results (dict): Result dict.
            window (tuple): The crop, inside the image.

        Returns:
            dict: The cropped results.
        """
        x1, y1, x2, y2 = window
        results['img'] = results['img'][y1:y2, x1:x2]
        shape = (y2 - y1, x2 - x1)
        results['img_shape'] = shape
        if results.get('gt_seg_map', None) is not None:
            results['gt_seg_map'] = results['gt_seg_map'][y1:y2, x1:x2]
        boxes = results.get('gt_bboxes', None)
        keep = None
        if boxes is not None:
            arr = boxes.numpy() if isinstance(boxes, BaseBoxes) else \
                np.asarray(boxes, dtype=np.float32)
            keep = self.keep_mask(arr, window)
        masks = results.get('gt_masks', None)
        if masks is not None:
            if keep is not None:
                masks = masks[np.flatnonzero(keep)]
            masks = masks.crop(np.array(window, dtype=np.int64))
            nonempty = np.asarray(masks.areas) > 0
            if keep is not None:
                keep[np.flatnonzero(keep)[~nonempty]] = False
            results['gt_masks'] = masks[np.flatnonzero(nonempty)]
        if keep is not None:
            self._crop_boxes(results, keep, x1, y1, shape)
        matrix = np.array([[1, 0, -x1], [0, 1, -y1], [0, 0, 1]],
                          dtype=np.float32)
        if results.get('homography_matrix', None) is not None:
            matrix = matrix @ results['homography_matrix']
        results['homography_matrix'] = matrix
        return results

    @staticmethod
    def _crop_boxes(results: dict, keep: np.ndarray, x1: int, y1: int,
                    shape: Tuple[int, int]) -> None:
        """Filter, shift and clip boxes; filter labels and ignore flags."""
        boxes = results['gt_bboxes']
        if isinstance(boxes, BaseBoxes):
            boxes = boxes[keep]
            boxes.translate_([-x1, -y1])
            boxes.clip_(shape)
        else:
            boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)[keep]
            boxes = boxes - np.array([x1, y1, x1, y1], dtype=np.float32)
            boxes[:, 0::2] = boxes[:, 0::2].clip(0, shape[1])
            boxes[:, 1::2] = boxes[:, 1::2].clip(0, shape[0])
        results['gt_bboxes'] = boxes
        for key in ('gt_bboxes_labels', 'gt_ignore_flags'):
            if results.get(key, None) is not None:
                results[key] = results[key][keep]

    def __repr__(self) -> str:
        """Describe the transform."""
        return (f'{type(self).__name__}(patch_size={self.patch_size}, '
                f'resize_prob={self.resize_prob}, margin={self.margin})')
