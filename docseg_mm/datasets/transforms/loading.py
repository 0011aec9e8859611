# Copyright (c) docseg_mm contributors. All rights reserved.
"""Page image loading with one error path for bad files.

Both loaders (:class:`LoadDocImageFromFile`, mmcv/cv2 decoding with the
EXIF and reduced-size decoding of :mod:`.page_decode`, and
:class:`~.tiff_page.LoadTiffPage`, Pillow decoding for multi-page / 1-bit /
16-bit scans) read the file through :class:`BadImageMixin`: a missing, unreadable
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
import logging
from typing import Any, List, Optional, Tuple

import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine.logging import print_log

from docseg_mm.registry import TRANSFORMS
from .page_decode import (EXIF_MODES, ImageLoadError, ImageNotFoundError,
                          ImageOrientationError, ImageSizeMismatchError,
                          apply_orientation, choose_orientation,
                          decode_stored, oriented_hw, probe_image,
                          reduction_factor, rescale_instances, size_error)

__all__ = [
    'BadImageMixin', 'LoadDocImageFromFile', 'ImageLoadError',
    'ImageNotFoundError', 'ImageOrientationError', 'ImageSizeMismatchError'
]


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

    def _init_bad_images(self,
                         max_recorded: int = 100,
                         max_consecutive_bad: int = 50) -> None:
        """Set up the counters.

        Args:
            max_recorded (int): How many bad paths :attr:`bad_images` keeps.
                Defaults to 100.
            max_consecutive_bad (int): In skip mode, raise once this many
                samples in a row had a bad image (a dataset without any
                readable image would otherwise make mmengine refetch 1000
                times). Defaults to 50.
        """
        self.max_recorded = max_recorded
        self.max_consecutive_bad = max_consecutive_bad
        self.num_bad_images = 0
        self.bad_images: List[str] = []
        self._bad_streak = 0

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
        self._bad_streak += 1
        if len(self.bad_images) < self.max_recorded:
            self.bad_images.append(results['img_path'])
        if self._bad_streak >= self.max_consecutive_bad:
            raise ImageLoadError(
                f'{type(self).__name__}: {self._bad_streak} samples in a row '
                'had a bad image although skip_bad_images is on: the '
                'dataset probably has no readable image (check it with '
                'tools/misc/check_dataset.py CONFIG). Last: '
                f'{error}; earlier: {self.bad_images[-5:]}') from error
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

    def _set_image(self, results: dict, img: np.ndarray,
                   to_float32: bool) -> dict:
        """Store ``img``, ``img_shape`` and ``ori_shape`` in ``results``
        (and end a streak of bad images)."""
        self._bad_streak = 0
        if to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


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
    the sample's ``img_id``. It also compares the page size (from the file
    header, before decoding) with the annotation's ``width``/``height``
    (when the data info has them) and raises
    :class:`ImageSizeMismatchError` naming the file, the json size and the
    real size, which catches silently wrong labels.

    EXIF orientation follows ``exif_orientation`` (see
    :mod:`.page_decode`): by default an annotated page is loaded in the
    frame its annotation size matches, and a size-keeping tag (e.g. rotate
    180) on an annotated page raises :class:`ImageOrientationError` until
    the frame is stated; unannotated pages are shown upright (as mmcv).

    With ``reduce_to`` a large page is decoded 2, 4 or 8 times smaller
    (JPEG DCT scaling) when a later keep-ratio resize to ``reduce_to`` would
    shrink it anyway; the sample's ``instances`` (boxes, polygons, RLE),
    ``height`` and ``width`` are scaled to the decoded page, and
    ``decode_scale`` (sx, sy) and ``file_shape`` (the annotation frame's
    h, w) record it. For training pipelines: predictions would come back in
    the decoded frame. Samples with a ``seg_map_path`` are not reduced.

    With ``skip_bad_images=True`` (or mmcv's ``ignore_empty=True``) these
    cases log a warning naming the path, count it in
    :attr:`num_bad_images` (first paths in :attr:`bad_images`) and return
    None: in training, mmengine's ``BaseDataset.__getitem__`` then fetches a
    random other index; after ``max_consecutive_bad`` bad samples in a row
    it raises (a dataset without readable images fails fast). In
    ``test_mode`` a None result raises in mmengine, so skipping only makes
    sense for training. Counters are per process (per dataloader worker).

    Required Keys: ``img_path``; optional ``img_id``, ``height``, ``width``,
    ``instances``.

    Modified Keys: ``img``, ``img_shape``, ``ori_shape`` (with
    ``reduce_to``: ``instances``, ``height``, ``width``, ``decode_scale``,
    ``file_shape``).

    Args:
        *args: Positional arguments of mmcv's ``LoadImageFromFile``.
        skip_bad_images (bool): Skip (return None) instead of raising.
            Defaults to False.
        check_size (bool): Compare the page size with ``height`` and
            ``width`` of the data info. Defaults to True.
        max_recorded (int): How many bad paths :attr:`bad_images` keeps.
            Defaults to 100.
        exif_orientation (str): ``'auto'``, ``'stored'`` or ``'apply'``.
            Defaults to 'auto'.
        reduce_to (tuple[int, int], optional): Scale of the pipeline's
            following keep-ratio resize (e.g. ``(1333, 800)``); None decodes
            at full size. Defaults to None.
        max_consecutive_bad (int): Skip mode gives up after this many bad
            samples in a row. Defaults to 50.
        **kwargs: Keyword arguments of mmcv's ``LoadImageFromFile``
            (``to_float32``, ``color_type``, ``imdecode_backend``,
            ``backend_args``, ``ignore_empty``).
    """

    def __init__(self,
                 *args: Any,
                 skip_bad_images: bool = False,
                 check_size: bool = True,
                 max_recorded: int = 100,
                 exif_orientation: str = 'auto',
                 reduce_to: Optional[Tuple[int, int]] = None,
                 max_consecutive_bad: int = 50,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if exif_orientation not in EXIF_MODES:
            raise ValueError(f'exif_orientation must be one of {EXIF_MODES}'
                             f', got {exif_orientation!r}')
        self.skip_bad_images = skip_bad_images
        self.check_size = check_size
        self.exif_orientation = exif_orientation
        self.reduce_to = tuple(reduce_to) if reduce_to else None
        self._init_bad_images(max_recorded, max_consecutive_bad)

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
        expected = None
        if 'height' in results and 'width' in results:
            expected = (int(round(results['height'])),
                        int(round(results['width'])))
        header = probe_image(img_bytes)
        try:
            apply = choose_orientation(self.exif_orientation, header,
                                       expected, where)
        except ImageOrientationError as e:
            return self._fail(results, e)
        frame = oriented_hw(header, apply) if header else None
        if self.check_size and expected and frame and frame != expected:
            return self._fail(results,
                              size_error(where, frame, expected, header))
        reduce = 1
        if self.reduce_to and header and not results.get('seg_map_path') \
                and 'gt_bboxes' not in results:
            reduce = reduction_factor(frame, self.reduce_to)
        try:
            img = decode_stored(img_bytes, self.color_type,
                                self.imdecode_backend, reduce)
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
        if apply:
            img = apply_orientation(img, header.orientation)
        if self.check_size and expected and not frame and \
                tuple(img.shape[:2]) != expected:
            return self._fail(
                results, size_error(where, img.shape[:2], expected, None))
        if reduce > 1:
            self._rescale(results, img.shape[:2], expected or frame)
        return self._set_image(results, img, self.to_float32)

    @staticmethod
    def _rescale(results: dict, hw: Tuple[int, int],
                 ref: Tuple[int, int]) -> None:
        """Scale the annotations from ``ref`` (h, w) to the decoded ``hw``.
        """
        sx, sy = hw[1] / ref[1], hw[0] / ref[0]
        if results.get('instances'):
            results['instances'] = rescale_instances(results['instances'],
                                                     sx, sy, hw)
        if 'height' in results and 'width' in results:
            results['height'], results['width'] = hw
        results['decode_scale'] = (sx, sy)
        results['file_shape'] = tuple(ref)

    def __repr__(self) -> str:
        """Describe the transform and its switches."""
        return (super().__repr__()[:-1] +
                f', skip_bad_images={self.skip_bad_images}, '
                f'check_size={self.check_size}, '
                f"exif_orientation='{self.exif_orientation}', "
                f'reduce_to={self.reduce_to})')
