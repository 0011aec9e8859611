# Copyright (c) docseg_mm contributors. All rights reserved.
"""Pillow page loading for multi-page / 1-bit / 16-bit scans
(:class:`LoadTiffPage`), on the error path of
:class:`~docseg_mm.datasets.transforms.loading.BadImageMixin`."""
import io
from typing import Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image, ImageOps

from docseg_mm.registry import TRANSFORMS
from .loading import BadImageMixin
from .page_decode import ImageLoadError


def pil_page_to_array(img: Image.Image,
                      color_type: str = 'color') -> np.ndarray:
    """Convert a decoded Pillow page to a uint8 array like mmcv's loader.

    1-bit pages become 0/255, 16-bit grayscale is scaled by 1/256 (as
    ``cv2.IMREAD_COLOR`` does), 32-bit ``I``/``F`` pages are clipped to
    0..255, alpha is dropped and palette/CMYK/YCbCr pages are converted to
    RGB by Pillow.

    Args:
        img (PIL.Image.Image): One decoded page.
        color_type (str): ``'color'`` gives (H, W, 3) BGR, ``'grayscale'``
            gives (H, W). Defaults to ``'color'``.

    Returns:
        np.ndarray: The uint8 image.
    """
    if color_type not in ('color', 'grayscale'):
        raise ValueError("color_type must be 'color' or 'grayscale', got "
                         f'{color_type!r}')
    mode = img.mode
    if mode == '1':
        gray = (np.asarray(img) != 0).astype(np.uint8) * 255
    elif mode == 'L':
        gray = np.asarray(img, dtype=np.uint8)
    elif mode.startswith('I;16'):
        gray = (np.asarray(img).astype(np.uint16) >> 8).astype(np.uint8)
    elif mode in ('I', 'F'):
        gray = np.clip(np.asarray(img), 0, 255).astype(np.uint8)
    elif mode in ('LA', 'La'):
        gray = np.asarray(img.convert('L'), dtype=np.uint8)
    elif color_type == 'grayscale':
        gray = np.asarray(img.convert('L'), dtype=np.uint8)
    else:
        rgb = np.asarray(img if mode == 'RGB' else img.convert('RGB'))
        return np.ascontiguousarray(rgb[..., ::-1], dtype=np.uint8)
    if color_type == 'grayscale':
        return np.ascontiguousarray(gray)
    return np.repeat(gray[..., None], 3, axis=2)


def decode_page(content: bytes,
                page: int = 0,
                color_type: str = 'color') -> Tuple[np.ndarray, int]:
    """Decode one page of an image file with Pillow.

    Args:
        content (bytes): The file content.
        page (int): Page (frame) index; negative counts from the end.
            Defaults to 0.
        color_type (str): See :func:`pil_page_to_array`. Defaults to
            ``'color'``.

    Returns:
        tuple[np.ndarray, int]: The page and the file's number of pages.

    Raises:
        IndexError: The file has no such page.
    """
    with Image.open(io.BytesIO(content)) as img:
        num_pages = int(getattr(img, 'n_frames', 1))
        index = page + num_pages if page < 0 else page
        if not 0 <= index < num_pages:
            raise IndexError(f'page {page} requested but the file has '
                             f'{num_pages} page(s)')
        if index:
            img.seek(index)
        img.load()
        page_img = ImageOps.exif_transpose(img)
        return pil_page_to_array(page_img, color_type), num_pages


@TRANSFORMS.register_module()
class LoadTiffPage(BadImageMixin, BaseTransform):
    """Load one page of a (multi-page, 1-bit, grayscale...) TIFF with Pillow.

    Works for every format Pillow reads (PNG, JPEG, BMP, WebP...), so it can
    load any page folder. Output matches mmcv's ``LoadImageFromFile``
    (uint8 BGR (H, W, 3), or (H, W) for grayscale); see the module docstring
    for where mmcv's own loader differs. The EXIF orientation is applied as
    mmcv does.

    A per-sample ``page`` key in the data info overrides ``page``. Missing,
    unreadable or undecodable files and absent pages raise
    :class:`ImageNotFoundError` / :class:`ImageLoadError` naming the file;
    with ``skip_bad_images=True`` they are logged, counted in
    :attr:`num_bad_images` (first paths in :attr:`bad_images`) and the
    transform returns None (mmengine's ``BaseDataset`` then refetches
    another index in training; in ``test_mode`` it raises).

    Required Keys: ``img_path``; optional ``page``.

    Added Keys: ``img``, ``img_shape``, ``ori_shape``, ``num_pages``.

    Args:
        page (int): Page index to load; negative counts from the end.
            Defaults to 0.
        color_type (str): ``'color'`` or ``'grayscale'``. Defaults to
            ``'color'``.
        to_float32 (bool): Return a float32 image. Defaults to False.
        skip_bad_images (bool): Return None instead of raising. Defaults to
            False.
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.
    """

    def __init__(self,
                 page: int = 0,
                 color_type: str = 'color',
                 to_float32: bool = False,
                 skip_bad_images: bool = False,
                 backend_args: Optional[dict] = None) -> None:
        if color_type not in ('color', 'grayscale'):
            raise ValueError("color_type must be 'color' or 'grayscale', "
                             f'got {color_type!r}')
        self.page = int(page)
        self.color_type = color_type
        self.to_float32 = to_float32
        self.skip_bad_images = skip_bad_images
        self.backend_args = backend_args
        self._init_bad_images()

    def transform(self, results: dict) -> Optional[dict]:
        """Load the page of ``results['img_path']``.

        Args:
            results (dict): Data info from the dataset.

        Returns:
            dict | None: ``results`` with the image, or None for a bad file
            when skipping.
        """
        content = self._read_bytes(results)
        if content is None:
            return None
        page = int(results.get('page', self.page))
        try:
            img, num_pages = decode_page(content, page, self.color_type)
        except Exception as e:  # PIL errors, IndexError, ...
            return self._fail(
                results,
                ImageLoadError(f'cannot decode page {page} of image '
                               f'{self._where(results)} ({len(content)} '
                               f'bytes): {type(e).__name__}: {e}'))
        results['num_pages'] = num_pages
        return self._set_image(results, img, self.to_float32)

    def __repr__(self) -> str:
        """Describe the transform."""
        return (f'{type(self).__name__}(page={self.page}, '
                f"color_type='{self.color_type}', "
                f'to_float32={self.to_float32}, '
                f'skip_bad_images={self.skip_bad_images})')
