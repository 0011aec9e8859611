# Copyright (c) docseg_mm contributors. All rights reserved.
"""Array operations behind the SelfDocSeg pseudo-layout mask transforms.

The object-id map (``gt_seg_map``) is ``uint16`` and encodes, per pixel:

* ``0``: background;
* ``k`` (``1 <= k <= MAX_OBJECTS``): ink of object ``k``;
* ``k + HOLE_FLAG``: a hole inside object ``k`` (not ink, but inside the
  object's filled external contour).

So ``ink = (v != 0) & (v < HOLE_FLAG)`` and ``object_id = v & MAX_OBJECTS``.
A plain binary layout map (values ``{0, 1}``) is a valid map as well: all ink
is "object 1" and there are no holes.
"""
from typing import Sequence, Tuple

import cv2
import numpy as np

from docseg_mm.structures.layout_mask_codes import HOLE_FLAG, MAX_OBJECTS

KERNEL_SHAPES = {
    'rect': cv2.MORPH_RECT,
    'ellipse': cv2.MORPH_ELLIPSE,
    'cross': cv2.MORPH_CROSS,
}


def to_gray(img: np.ndarray) -> np.ndarray:
    """Convert a BGR(A) or single-channel image to one gray channel.

    Args:
        img (np.ndarray): ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` (BGR) or
            ``(H, W, 4)`` (BGRA) image with values in ``[0, 255]``.

    Returns:
        np.ndarray: ``(H, W)`` gray image, ``uint8`` or ``float32``.
    """
    if img.dtype not in (np.uint8, np.float32):
        img = img.astype(np.float32)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 2:
        return np.ascontiguousarray(img)
    code = {3: cv2.COLOR_BGR2GRAY, 4: cv2.COLOR_BGRA2GRAY}.get(img.shape[2])
    if code is None:
        raise ValueError(f'expected 1, 3 or 4 channels, got {img.shape}')
    return cv2.cvtColor(np.ascontiguousarray(img), code)


def binarize_layout(gray: np.ndarray,
                    threshold: float = 239,
                    kernel_shape: str = 'rect',
                    kernel_size: int = 3,
                    iterations: int = 2) -> np.ndarray:
    """Threshold, erode the paper and invert: the raw pseudo-layout mask.

    ``gray > threshold`` is paper; eroding the white paper with the
    structuring element grows the ink by ``iterations * (kernel_size // 2)``
    pixels per side (for ``'rect'``), merging characters into blobs.

    Args:
        gray (np.ndarray): ``(H, W)`` gray image.
        threshold (float): Gray values above it are background.
            Defaults to 239.
        kernel_shape (str): ``'rect'``, ``'ellipse'`` or ``'cross'``.
            Defaults to ``'rect'``.
        kernel_size (int): Side of the structuring element. Defaults to 3.
        iterations (int): Erosion iterations (0 disables erosion).
            Defaults to 2.

    Returns:
        np.ndarray: ``(H, W)`` ``uint8`` mask, ink blobs = 1.
    """
    _, paper = cv2.threshold(gray, threshold, 255, cv2.THRESH_BINARY)
    if iterations > 0:
        kernel = cv2.getStructuringElement(KERNEL_SHAPES[kernel_shape],
                                           (kernel_size, kernel_size))
        paper = cv2.erode(paper, kernel, iterations=iterations)
    return (paper == 0).astype(np.uint8)


def find_objects(mask: np.ndarray,
                 max_objects: int = MAX_OBJECTS) -> Tuple[np.ndarray, ...]:
    """External contours of a binary mask, one per object.

    The order is that of ``cv2.findContours``. With more than
    ``max_objects`` contours the ones with the largest bounding boxes are
    kept (in their original order).

    Args:
        mask (np.ndarray): ``(H, W)`` binary mask.
        max_objects (int): Most objects to return. Defaults to
            :data:`MAX_OBJECTS`.

    Returns:
        tuple[np.ndarray]: Contours, each ``(P, 1, 2)`` int32 ``(x, y)``.
    """
    contours, _ = cv2.findContours(
        np.ascontiguousarray(mask, dtype=np.uint8), cv2.RETR_EXTERNAL,
        cv2.CHAIN_APPROX_NONE)
    if len(contours) <= max_objects:
        return tuple(contours)
    areas = np.array([w * h for _, _, w, h in map(cv2.boundingRect, contours)])
    keep = np.sort(np.argsort(-areas, kind='stable')[:max_objects])
    return tuple(contours[i] for i in keep)


def encode_objects(mask: np.ndarray,
                   contours: Sequence[np.ndarray]) -> np.ndarray:
    """Build the ``uint16`` object-id map of a binary layout mask.

    Args:
        mask (np.ndarray): ``(H, W)`` binary layout mask (ink = nonzero).
        contours (Sequence[np.ndarray]): External contours of ``mask``;
            contour ``i`` becomes object ``i + 1`` (filled, holes included).

    Returns:
        np.ndarray: ``(H, W)`` ``uint16`` map, see the module docstring.
    """
    if len(contours) > MAX_OBJECTS:
        raise ValueError(f'at most {MAX_OBJECTS} objects can be encoded, '
                         f'got {len(contours)}')
    ids = np.zeros(mask.shape[:2], dtype=np.uint16)
    for i, contour in enumerate(contours):
        cv2.fillPoly(ids, [contour], color=i + 1)
    hole = (ids != 0) & (mask == 0)
    ids[hole] |= HOLE_FLAG
    return ids


def decode_layout(seg_map: np.ndarray) -> np.ndarray:
    """Raw layout (ink) mask of an object-id map.

    Args:
        seg_map (np.ndarray): ``(H, W)`` object-id map.

    Returns:
        np.ndarray: ``(H, W)`` ``uint8`` mask, ink = 1.
    """
    return ((seg_map != 0) & (seg_map < HOLE_FLAG)).astype(np.uint8)


def decode_objects(seg_map: np.ndarray, num_objects: int) -> np.ndarray:
    """Per-object masks (holes filled) of an object-id map.

    Args:
        seg_map (np.ndarray): ``(H, W)`` object-id map.
        num_objects (int): Number of objects ``N`` on the source page;
            ids above it are ignored.

    Returns:
        np.ndarray: ``(N, H, W)`` ``uint8``; row ``k - 1`` is object ``k``
        (all zeros where the object is absent from this map).
    """
    h, w = seg_map.shape[:2]
    ids = (seg_map.astype(np.int64) & MAX_OBJECTS).ravel()
    ids[ids > num_objects] = 0
    masks = np.zeros((num_objects + 1, h * w), dtype=np.uint8)
    masks[ids, np.arange(h * w)] = 1
    return masks[1:].reshape(num_objects, h, w)


def fill_objects(contours: Sequence[np.ndarray],
                 shape: Tuple[int, int]) -> np.ndarray:
    """Fill every contour in its own mask (the original per-object masks).

    Args:
        contours (Sequence[np.ndarray]): Contours from :func:`find_objects`.
        shape (tuple[int, int]): ``(H, W)`` of the masks.

    Returns:
        np.ndarray: ``(N, H, W)`` ``uint8`` masks.
    """
    masks = np.zeros((len(contours), *shape), dtype=np.uint8)
    for mask, contour in zip(masks, contours):
        cv2.fillPoly(mask, [contour], color=1)
    return masks
