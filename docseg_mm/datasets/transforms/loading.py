# Copyright (c) docseg_mm contributors. All rights reserved.
"""Page image loading with one error path for bad files.

Both loaders (:class:`LoadDocImageFromFile`, mmcv decoding, and
:class:`LoadTiffPage`, Pillow decoding for multi-page / 1-bit / 16-bit
scans) read the file through :class:`BadImageMixin`: a missing, unreadable
or undecodable file raises an ``OSError`` subclass naming the path (and the
sample's ``img_id``), or, with ``skip_bad_images=True``, is logged, counted
and the sample skipped.

Where mmcv's own loader falls short for document scans (checked with the
pinned stack: opencv-python 4.x, Pillow 13, mmcv 2.1; for the default
``color_type='color'`` both mmcv backends already give 0/255 for 1-bit
pages, also CCITT G4, and the first page of a multi-page TIFF):

* no way to pick another page of a multi-page TIFF (``cv2.imdecode`` and
  mmcv's pillow path always decode page 0);
* ``color_type='unchanged'`` with the pillow backend returns a *bool* array
  (0/1, not 0/255) for 1-bit pages;
* 16-bit grayscale (``I;16``) pages: the pillow backend clips to 255 (a
  page with values > 255 turns white) while cv2 scales by 1/256;
* errors do not name the file (``AssertionError`` / bare ``OSError``).
"""
import io
import logging
from typing import Any, List, Optional, Tuple

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform, LoadImageFromFile
from mmengine.logging import print_log
from PIL import Image, ImageOps

from docseg_mm.registry import TRANSFORMS


class ImageLoadError(OSError):
    """An image file could not be read or decoded."""


class ImageNotFoundError(ImageLoadError, FileNotFoundError):
    """An image file does not exist."""


class ImageSizeMismatchError(ValueError):
    """A decoded image's size differs from the annotation's width/height."""


class BadImageMixin:
    """Read an image file's bytes, and raise or skip on a bad file.

    The host transform sets :attr:`skip_bad_images` and
    :attr:`backend_args` (and may set mmcv's ``file_client_args``) and calls
    :meth:`_init_bad_images` in its ``__init__``.

    Attributes:
        num_bad_images (int): Bad samples skipped so far in this process
            (each dataloader worker keeps its own count).
        bad_images (list[str]): The first ``max_recorded`` skipped paths.
    """

    skip_bad_images: bool
    backend_args: Optional[dict]

    def _init_bad_images(self, max_recorded: int = 100) -> None:
        """Set up the counters.

        Args:
            max_recorded (int): How many bad paths :attr:`bad_images` keeps.
                Defaults to 100.
        """
        self.max_recorded = max_recorded
        self.num_bad_images = 0
        self.bad_images: List[str] = []

    def _skips(self) -> bool:
        """Whether bad images are skipped instead of raising."""
        return self.skip_bad_images

    def _fail(self, results: dict, error: Exception) -> None:
        """Raise ``error``, or log and count it in skip mode.

        Returns:
            None: In skip mode (mmengine's ``BaseDataset`` then fetches
            another index in training; in ``test_mode`` it raises).
        """
        if not self._skips():
            raise error
        self.num_bad_images += 1
        if len(self.bad_images) < self.max_recorded:
            self.bad_images.append(results['img_path'])
        print_log(
            f'{type(self).__name__}: skipping sample ({error}); '
            f'{self.num_bad_images} bad image(s) so far in this process',
            logger='current',
            level=logging.WARNING)
        return None

    @staticmethod
    def _where(results: dict) -> str:
        """The path (and ``img_id``) of a sample, for messages."""
        where = f'{results["img_path"]!r}'
        if results.get('img_id', None) is not None:
            where += f' (img_id {results["img_id"]!r})'
        return where

    def _read_bytes(self, results: dict) -> Optional[bytes]:
        """The raw file through the configured file backend.

        Returns:
            bytes | None: The content; None for a bad file in skip mode.

        Raises:
            ImageNotFoundError: The file does not exist.
            ImageLoadError: The backend cannot read it.
        """
        filename = results['img_path']
        try:
            file_client_args = getattr(self, 'file_client_args', None)
            if file_client_args is not None:
                client = fileio.FileClient.infer_client(
                    file_client_args, filename)
                return client.get(filename)
            return fileio.get(filename, backend_args=self.backend_args)
        except FileNotFoundError:
            return self._fail(
                results,
                ImageNotFoundError(
                    f'image file not found: {self._where(results)}'))
        except Exception as e:  # backend errors vary
            return self._fail(
                results,
                ImageLoadError(f'cannot read image {self._where(results)}: '
                               f'{type(e).__name__}: {e}'))

    @staticmethod
    def _set_image(results: dict, img: np.ndarray,
                   to_float32: bool) -> dict:
        """Store ``img``, ``img_shape`` and ``ori_shape`` in ``results``."""
        if to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


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
class LoadDocImageFromFile(BadImageMixin, LoadImageFromFile):
    """Load a page image and fail loudly (or skip) on a bad file.

    mmcv's :class:`~mmcv.transforms.LoadImageFromFile` re-raises whatever the
    file backend raises (e.g. a bare ``FileNotFoundError``); a corrupt or
    truncated file decoded with ``cv2`` comes back as ``None`` and only trips
    ``assert img is not None`` (an ``AssertionError``, gone under
    ``python -O``), with ``pillow`` it raises ``OSError`` /
    ``UnidentifiedImageError`` without the path; an empty file makes
    ``cv2.imdecode`` raise ``cv2.error``. Its ``ignore_empty=True`` returns
    None silently for read errors but still asserts on undecodable files.

    This transform instead raises an ``OSError`` subclass
    (:class:`ImageNotFoundError` for a missing file, :class:`ImageLoadError`
    for an unreadable or undecodable one) whose message names the path and
    the sample's ``img_id``. It also compares the decoded size with the
    annotation's ``width``/``height`` (when the data info has them) and
    raises :class:`ImageSizeMismatchError` naming the file, the json size
    and the real size, which catches silently wrong labels.

    With ``skip_bad_images=True`` (or mmcv's ``ignore_empty=True``) these
    cases log a warning naming the path, count it in
    :attr:`num_bad_images` (first paths in :attr:`bad_images`) and return
    None: in training, mmengine's ``BaseDataset.__getitem__`` then fetches a
    random other index (up to ``max_refetch`` times); in ``test_mode`` a
    None result raises there, so skipping only makes sense for training.
    Counters are per process (each dataloader worker keeps its own).

    Required Keys: ``img_path``; optional ``img_id``, ``height``, ``width``.

    Modified Keys: ``img``, ``img_shape``, ``ori_shape``.

    Args:
        *args: Positional arguments of mmcv's ``LoadImageFromFile``.
        skip_bad_images (bool): Skip (return None) instead of raising.
            Defaults to False.
        check_size (bool): Compare the decoded size with ``height`` and
            ``width`` of the data info. Defaults to True.
        max_recorded (int): How many bad paths :attr:`bad_images` keeps.
            Defaults to 100.
        **kwargs: Keyword arguments of mmcv's ``LoadImageFromFile``
            (``to_float32``, ``color_type``, ``imdecode_backend``,
            ``backend_args``, ``ignore_empty``).
    """

    def __init__(self,
                 *args: Any,
                 skip_bad_images: bool = False,
                 check_size: bool = True,
                 max_recorded: int = 100,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skip_bad_images = skip_bad_images
        self.check_size = check_size
        self._init_bad_images(max_recorded)

    def _skips(self) -> bool:
        """mmcv's ``ignore_empty=True`` also skips."""
        return self.skip_bad_images or self.ignore_empty

    def transform(self, results: dict) -> Optional[dict]:
        """Load the image of ``results['img_path']``.

        Args:
            results (dict): Data info from the dataset.

        Returns:
            dict | None: ``results`` with ``img``, ``img_shape`` and
            ``ori_shape``; None for a bad image in skip mode.
        """
        img_bytes = self._read_bytes(results)
        if img_bytes is None:
            return None
        where = self._where(results)
        try:
            img = mmcv.imfrombytes(
                img_bytes, flag=self.color_type, backend=self.imdecode_backend)
        except Exception as e:  # cv2.error, PIL errors, ...
            img, reason = None, f'{type(e).__name__}: {e}'
        else:
            reason = 'decoder returned None'
        if img is None:
            return self._fail(
                results,
                ImageLoadError(
                    f'cannot decode image {where} ({len(img_bytes)} bytes; '
                    f'corrupt, truncated or not an image: {reason})'))
        if self.check_size and 'height' in results and 'width' in results:
            expected = (int(round(results['height'])),
                        int(round(results['width'])))
            if tuple(img.shape[:2]) != expected:
                return self._fail(
                    results,
                    ImageSizeMismatchError(
                        f'image {where} is {img.shape[1]}x{img.shape[0]} '
                        f'(w x h) but the annotation file says '
                        f'{expected[1]}x{expected[0]}'))
        return self._set_image(results, img, self.to_float32)

    def __repr__(self) -> str:
        """Describe the transform and its switches."""
        return (super().__repr__()[:-1] +
                f', skip_bad_images={self.skip_bad_images}, '
                f'check_size={self.check_size})')


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
