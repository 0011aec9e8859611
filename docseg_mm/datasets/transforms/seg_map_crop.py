# Copyright (c) docseg_mm contributors. All rights reserved.
"""mmpretrain's RandomResizedCrop that also warps ``gt_seg_map``."""
import mmcv
import numpy as np
from mmpretrain.datasets.transforms import RandomResizedCrop

from docseg_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomResizedCropWithSegMap(RandomResizedCrop):
    """Random resized crop of ``img`` and, with the same box, ``gt_seg_map``.

    mmpretrain's ``RandomResizedCrop`` only crops ``img``; this subclass
    samples the crop once (same distribution and arguments, see the parent)
    and applies it to the image (``interpolation``) and to the map
    (nearest), so the pseudo-layout object-id map stays aligned.

    Required Keys: ``img``; optional ``gt_seg_map``.

    Modified Keys: ``img``, ``img_shape``, ``gt_seg_map``.

    Added Keys: ``crop_bbox`` (``x1, y1, x2, y2`` of the crop, inclusive,
    in the input frame).

    Args:
        *args: Positional arguments of mmpretrain's ``RandomResizedCrop``
            (``scale`` is ``(h, w)``).
        **kwargs: Keyword arguments of mmpretrain's ``RandomResizedCrop``.
    """

    def transform(self, results: dict) -> dict:
        """Crop and resize the image and the seg map.

        Args:
            results (dict): Result dict with ``img``.

        Returns:
            dict: The result dict with the cropped image and map.
        """
        img = results['img']
        offset_h, offset_w, target_h, target_w = self.rand_crop_params(img)
        bbox = np.array([
            offset_w, offset_h, offset_w + target_w - 1,
            offset_h + target_h - 1
        ])
        size = tuple(self.scale[::-1])
        img = mmcv.imresize(
            mmcv.imcrop(img, bboxes=bbox),
            size,
            interpolation=self.interpolation,
            backend=self.backend)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['crop_bbox'] = bbox
        seg_map = results.get('gt_seg_map', None)
        if seg_map is not None:
            results['gt_seg_map'] = mmcv.imresize(
                mmcv.imcrop(seg_map, bboxes=bbox),
                size,
                interpolation='nearest',
                backend='cv2')
        return results
