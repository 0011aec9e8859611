# Copyright (c) docseg_mm contributors. All rights reserved.
import math
from typing import List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from docseg_mm.registry import TRANSFORMS

Box = Tuple[int, int, int, int]  # x1, y1, x2, y2 (exclusive)


def sample_resized_crop(rng: np.random.Generator, height: int, width: int,
                        scale: Tuple[float, float],
                        ratio: Tuple[float, float]) -> Box:
    """torchvision ``RandomResizedCrop.get_params`` with a numpy generator.

    Up to 10 tries of a random area fraction in ``scale`` and a log-uniform
    aspect ratio in ``ratio``; else the largest centred crop within the
    ratio range.

    Args:
        rng (np.random.Generator): Random source.
        height (int): Image height.
        width (int): Image width.
        scale (tuple[float, float]): Area fraction range.
        ratio (tuple[float, float]): Aspect ratio (w / h) range.

    Returns:
        tuple: ``(x1, y1, x2, y2)``.
    """
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(*log_ratio))
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            y = int(rng.integers(0, height - h + 1))
            x = int(rng.integers(0, width - w + 1))
            return x, y, x + w, y + h
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        w, h = width, height
    y, x = (height - h) // 2, (width - w) // 2
    return x, y, x + w, y + h


def box_intersection(a: Box, b: Box) -> int:
    """Intersection area of two ``(x1, y1, x2, y2)`` boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0) * max(h, 0)


@TRANSFORMS.register_module()
class AlignSegMultiCrop(BaseTransform):
    """One global and ``num_local`` local random-resized crops (AlignSeg /
    Leopart ``TrainTransforms`` with ``nmb_crops=[1, N]``).

    Each local crop is resampled until its intersection with the global crop
    is larger than ``int(min_intersection * H * W)`` pixels of the source
    image. After ``max_tries`` failures the local crop is re-centred on the
    global crop (same size) instead of looping forever; those fallbacks are
    counted (``num_fallbacks``) and logged.

    Required Keys: ``img``; optional ``gt_seg_map`` (e.g. the pseudo-layout
    map of :class:`PseudoLayoutMask`).

    Modified Keys: ``img`` (list of crops, global first), ``img_shape``.

    Added Keys: ``crop_boxes`` (``(1 + N, 4)`` float tensor, absolute
    ``x1, y1, x2, y2`` in the source image), ``crop_seg_maps`` (``(1 + N,
    S, S)`` tensor, nearest-resized crops of ``gt_seg_map``, when present).

    Args:
        num_local (int): Local crops. Defaults to 2.
        global_size (int): Global crop side. Defaults to 224.
        local_size (int): Local crop side. Defaults to 224 (the original
            needs local = global: it reshapes every crop's attention to the
            global grid; this implementation does not).
        global_scale (tuple[float, float]): Defaults to (0.5, 1.0).
        local_scale (tuple[float, float]): Defaults to (0.05, 0.25).
        ratio (tuple[float, float]): Defaults to (3 / 4, 4 / 3).
        min_intersection (float): Fraction of the image area. Defaults to
            0.05.
        interpolation (str): mmcv interpolation of the image crops.
            Defaults to ``'bilinear'``.
        max_tries (int): Resampling budget per local crop. Defaults to 100.
        seed (int, optional): Seed of this transform's generator; None draws
            from numpy's global state (seeded per worker by MMEngine).
            Defaults to None.
    """

    def __init__(self,
                 num_local: int = 2,
                 global_size: int = 224,
                 local_size: int = 224,
                 global_scale: Sequence[float] = (0.5, 1.0),
                 local_scale: Sequence[float] = (0.05, 0.25),
                 ratio: Sequence[float] = (3. / 4., 4. / 3.),
                 min_intersection: float = 0.05,
                 interpolation: str = 'bilinear',
                 max_tries: int = 100,
                 seed: Optional[int] = None) -> None:
        if not 0 < min_intersection < 1:
            raise ValueError('min_intersection must be in (0, 1)')
        if num_local < 1:
            raise ValueError('AlignSeg needs at least one local crop')
        self.num_local = num_local
        self.global_size = global_size
        self.local_size = local_size
        self.global_scale = tuple(global_scale)
        self.local_scale = tuple(local_scale)
        self.ratio = tuple(ratio)
        self.min_intersection = min_intersection
        self.interpolation = interpolation
        self.max_tries = max_tries
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self.num_fallbacks = 0

    def _generator(self) -> np.random.Generator:
        if self._rng is not None:
            return self._rng
        return np.random.default_rng(np.random.randint(0, 2**31))

    def sample_boxes(self, height: int, width: int) -> List[Box]:
        """The global box then the local boxes (overlap constraint applied).

        Args:
            height (int): Image height.
            width (int): Image width.

        Returns:
            list[tuple]: ``1 + num_local`` boxes ``(x1, y1, x2, y2)``.
        """
        rng = self._generator()
        glob = sample_resized_crop(rng, height, width, self.global_scale,
                                   self.ratio)
        need = int(height * width * self.min_intersection)
        boxes = [glob]
        for _ in range(self.num_local):
            for _ in range(self.max_tries):
                box = sample_resized_crop(rng, height, width,
                                          self.local_scale, self.ratio)
                if box_intersection(box, glob) > need:
                    break
            else:
                box = self._recentre(box, glob, height, width)
                self.num_fallbacks += 1
                print_log(f'AlignSegMultiCrop: no local crop overlapping the '
                          f'global crop by > {need} px in {self.max_tries} '
                          'tries; re-centred it on the global crop '
                          f'({self.num_fallbacks} so far)', logger='current')
            boxes.append(box)
        return boxes

    @staticmethod
    def _recentre(box: Box, glob: Box, height: int, width: int) -> Box:
        w, h = box[2] - box[0], box[3] - box[1]
        cx, cy = (glob[0] + glob[2]) // 2, (glob[1] + glob[3]) // 2
        x = min(max(cx - w // 2, 0), width - w)
        y = min(max(cy - h // 2, 0), height - h)
        return x, y, x + w, y + h

    def transform(self, results: dict) -> dict:
        """Crop ``img`` (and ``gt_seg_map``) into the multi-crop views.

        Args:
            results (dict): With ``img``.

        Returns:
            dict: See the class docstring.
        """
        img = results['img']
        h, w = img.shape[:2]
        boxes = self.sample_boxes(h, w)
        sizes = [self.global_size] + [self.local_size] * self.num_local
        seg = results.get('gt_seg_map')
        crops, maps = [], []
        for (x1, y1, x2, y2), size in zip(boxes, sizes):
            crops.append(mmcv.imresize(img[y1:y2, x1:x2], (size, size),
                                       interpolation=self.interpolation))
            if seg is not None:
                maps.append(mmcv.imresize(
                    np.ascontiguousarray(seg[y1:y2, x1:x2]), (size, size),
                    interpolation='nearest'))
        results['img'] = crops
        results['img_shape'] = [c.shape[:2] for c in crops]
        results['crop_boxes'] = torch.tensor(boxes, dtype=torch.float32)
        if seg is not None:
            if len(set(sizes)) == 1:
                results['crop_seg_maps'] = torch.from_numpy(
                    np.stack(maps).astype(np.int32))
            else:
                results['crop_seg_maps'] = [
                    torch.from_numpy(m.astype(np.int32)) for m in maps]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_local={self.num_local}, '
                f'global_size={self.global_size}, '
                f'local_size={self.local_size}, '
                f'global_scale={self.global_scale}, '
                f'local_scale={self.local_scale}, ratio={self.ratio}, '
                f'min_intersection={self.min_intersection})')
