# Copyright (c) docseg_mm contributors. All rights reserved.
"""SelfDocSeg pseudo-layout masks that follow every view's geometric warps.

Pipeline sketch (both views paired object by object)::

    dict(type='LoadImageFromFile'),
    dict(type='PseudoLayoutMask', objects_on='image'),
    dict(type='MultiViewWithKeys', num_views=2, transforms=[[
        dict(type='RandomResizedCropWithSegMap', scale=(640, 512)),
        dict(type='RandomFlip', prob=0.5),
        ...colour transforms...,
        dict(type='LayoutMaskToGrid', grid_size=(64, 80))]]),
    dict(type='mmpretrain.PackInputs',
         algorithm_keys=('layout_mask', 'object_masks'))

:class:`PseudoLayoutMask` stores the object-id map (see
:mod:`.layout_mask_ops`) in ``gt_seg_map``, a key that these host transforms
warp with nearest interpolation: mmcv ``Resize``, ``RandomResize``,
``RandomFlip``, ``CenterCrop``, ``RandomChoiceResize``; mmdet ``Resize``,
``RandomFlip``, ``RandomCrop``, ``FixShapeResize``, ``RandomResize``;
mmpretrain ``Resize``, ``RandomFlip``, ``CenterCrop`` (mmcv's);
and :class:`RandomResizedCropWithSegMap`. Transforms that do not touch it
(mmpretrain ``RandomResizedCrop``, ``RandomCrop``, ``ResizeEdge``,
``Rotate``/``Shear``/``Translate``; mmdet ``RandomAffine`` even raises
without ``gt_bboxes``) break the alignment. Padding must use
``seg_pad_val=0`` (mmcv's default 255 would read as ink of object 255).
"""
from typing import Optional, Tuple

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from docseg_mm.registry import TRANSFORMS
from .layout_mask_ops import (KERNEL_SHAPES, binarize_layout, decode_layout,
                              decode_objects, encode_objects, fill_objects,
                              find_objects, to_gray)

OBJECTS_ON = ('grid', 'image')


@TRANSFORMS.register_module()
class PseudoLayoutMask(BaseTransform):
    """Compute SelfDocSeg's pseudo-layout mask and label its objects.

    Gray -> ``threshold`` (``> threshold`` is paper) -> erode the paper
    (grows ink blobs) -> invert, computed on the page resized to
    ``work_size`` as the original does. Apply it to the source page, before
    any view is made.

    With ``objects_on='image'`` the external contours of this mask are
    labelled here, once per page, so object ``k`` is the same region in
    every view whatever its crop/flip/resize; the map stores ink and hole
    pixels separately so that the raw (unfilled) layout mask survives too.
    With ``objects_on='grid'`` (the original) the map is the binary layout
    mask and :class:`LayoutMaskToGrid` finds the objects on the feature
    grid of each view, which pairs objects across views only when the views
    share one geometry (the original recipe: resize only).

    Required Keys: ``img`` (BGR, values in [0, 255]).

    Modified Keys: ``img``, ``img_shape``, ``scale_factor`` (only when the
    image is resized to ``work_size``).

    Added Keys: ``gt_seg_map`` (``uint16`` ``(H, W)`` in the frame of
    ``img``), ``layout_objects_on`` (str), ``layout_num_objects`` (int, the
    number ``N`` of objects; 0 with ``objects_on='grid'``).

    Args:
        work_size (tuple[int, int], optional): ``(w, h)`` the page is
            resized to (bilinear) before thresholding; None keeps the image
            size. Defaults to (512, 640).
        resize_img (bool): Also replace ``img`` by the resized page, so that
            image and map share one frame without re-sampling the map. With
            False the map is resized back to the image size (nearest).
            Defaults to True.
        threshold (float): Gray values above it are background.
            Defaults to 239.
        kernel_shape (str): ``'rect'``, ``'ellipse'`` or ``'cross'``.
            Defaults to ``'rect'``.
        kernel_size (int): Side of the structuring element. Defaults to 3.
        iterations (int): Erosion iterations. Defaults to 2.
        objects_on (str): ``'grid'`` or ``'image'``, see above.
            Defaults to ``'grid'``.
    """

    def __init__(self,
                 work_size: Optional[Tuple[int, int]] = (512, 640),
                 resize_img: bool = True,
                 threshold: float = 239,
                 kernel_shape: str = 'rect',
                 kernel_size: int = 3,
                 iterations: int = 2,
                 objects_on: str = 'grid') -> None:
        if kernel_shape not in KERNEL_SHAPES:
            raise ValueError(f'kernel_shape must be one of '
                             f'{tuple(KERNEL_SHAPES)}, got {kernel_shape!r}')
        if objects_on not in OBJECTS_ON:
            raise ValueError(f'objects_on must be one of {OBJECTS_ON}, '
                             f'got {objects_on!r}')
        if kernel_size < 1 or iterations < 0:
            raise ValueError('kernel_size must be >= 1, iterations >= 0')
        self.work_size = tuple(work_size) if work_size is not None else None
        self.resize_img = resize_img
        self.threshold = threshold
        self.kernel_shape = kernel_shape
        self.kernel_size = kernel_size
        self.iterations = iterations
        self.objects_on = objects_on

    def transform(self, results: dict) -> dict:
        """Add the object-id map of ``results['img']``.

        Args:
            results (dict): Result dict with ``img``.

        Returns:
            dict: The result dict with the added keys.
        """
        img = results['img']
        h, w = img.shape[:2]
        work = img
        if self.work_size is not None and self.work_size != (w, h):
            work = cv2.resize(
                img, self.work_size, interpolation=cv2.INTER_LINEAR)
        mask = binarize_layout(
            to_gray(work), self.threshold, self.kernel_shape, self.kernel_size,
            self.iterations)
        if self.objects_on == 'image':
            contours = find_objects(mask)
            seg_map = encode_objects(mask, contours)
        else:
            contours = ()
            seg_map = mask.astype(np.uint16)
        if work is not img:
            if self.resize_img:
                results['img'] = work
                results['img_shape'] = work.shape[:2]
                results['scale_factor'] = (work.shape[1] / w,
                                           work.shape[0] / h)
            else:
                seg_map = cv2.resize(
                    seg_map, (w, h), interpolation=cv2.INTER_NEAREST)
        results['gt_seg_map'] = seg_map
        results['layout_objects_on'] = self.objects_on
        results['layout_num_objects'] = len(contours)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(work_size={self.work_size}, '
                f'resize_img={self.resize_img}, '
                f'threshold={self.threshold}, '
                f'kernel_shape={self.kernel_shape!r}, '
                f'kernel_size={self.kernel_size}, '
                f'iterations={self.iterations}, '
                f'objects_on={self.objects_on!r})')


@TRANSFORMS.register_module()
class LayoutMaskToGrid(BaseTransform):
    """Resize a view's (warped) object-id map to the feature grid.

    Use it as the last step of each view's pipeline (inside
    :class:`MultiViewWithKeys`, which keeps the per-view outputs), or once
    before a plain ``mmpretrain.MultiView`` when the views are not warped
    (the masks are then shared by all views).

    The map is resized to ``grid_size`` with nearest interpolation (as the
    original's ``cv2.resize(..., INTER_NEAREST)``). ``layout_mask`` is its
    raw ink mask (holes stay background): the focal-loss target.
    ``object_masks`` holds one filled mask per object:

    * ``objects_on='image'``: object ``k`` (row ``k - 1``) is the page-level
      object ``k`` of :class:`PseudoLayoutMask`; ``N`` and the order are the
      same in every view of a page, an object cropped away (or lost by the
      grid sampling) is an all-zero row.
    * ``objects_on='grid'``: the original's objects, external contours of
      this view's grid ``layout_mask``, each filled; ``N`` and the order
      depend on the view, so they match across views only if the views have
      identical geometry.

    Required Keys: ``gt_seg_map``; optional ``layout_objects_on``,
    ``layout_num_objects``.

    Added Keys: ``layout_mask`` (``float32`` ``(h, w)`` in {0, 1}),
    ``object_masks`` (``uint8`` ``(N, h, w)``), ``layout_num_objects``.

    Deleted Keys: ``gt_seg_map`` unless ``keep_seg_map``.

    Args:
        grid_size (tuple[int, int]): ``(w, h)`` of the feature grid; it must
            equal the model's feature map (input / 8 for SelfDocSeg).
            Defaults to (64, 80).
        objects_on (str, optional): ``'grid'`` or ``'image'``; None takes
            ``results['layout_objects_on']`` (set by
            :class:`PseudoLayoutMask`), else ``'grid'``. Defaults to None.
        keep_seg_map (bool): Keep ``gt_seg_map``. Defaults to False.
        to_tensor (bool): Output ``torch.Tensor`` instead of arrays.
            Defaults to False.
    """

    def __init__(self,
                 grid_size: Tuple[int, int] = (64, 80),
                 objects_on: Optional[str] = None,
                 keep_seg_map: bool = False,
                 to_tensor: bool = False) -> None:
        if objects_on is not None and objects_on not in OBJECTS_ON:
            raise ValueError(f'objects_on must be one of {OBJECTS_ON} or '
                             f'None, got {objects_on!r}')
        self.grid_size = tuple(grid_size)
        self.objects_on = objects_on
        self.keep_seg_map = keep_seg_map
        self.to_tensor = to_tensor

    def transform(self, results: dict) -> dict:
        """Add ``layout_mask`` and ``object_masks``.

        Args:
            results (dict): Result dict with ``gt_seg_map``.

        Returns:
            dict: The result dict with the added keys.
        """
        seg_map = np.ascontiguousarray(results['gt_seg_map'])
        if seg_map.shape[::-1] != self.grid_size:
            seg_map = cv2.resize(
                seg_map, self.grid_size, interpolation=cv2.INTER_NEAREST)
        layout = decode_layout(seg_map)
        mode = self.objects_on or results.get('layout_objects_on', 'grid')
        if mode == 'image':
            num = int(results.get('layout_num_objects', 0))
            objects = decode_objects(seg_map, num)
        else:
            objects = fill_objects(find_objects(layout), layout.shape)
        results['layout_mask'] = layout.astype(np.float32)
        results['object_masks'] = objects
        results['layout_num_objects'] = len(objects)
        if self.to_tensor:
            for key in ('layout_mask', 'object_masks'):
                results[key] = torch.from_numpy(results[key])
        if not self.keep_seg_map:
            results.pop('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(grid_size={self.grid_size}, '
                f'objects_on={self.objects_on!r}, '
                f'keep_seg_map={self.keep_seg_map}, '
                f'to_tensor={self.to_tensor})')
