# Copyright (c) docseg_mm contributors. All rights reserved.
"""Image loading that reports (or skips) bad document page images."""
import logging
from typing import Any, List, Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine.logging import print_log

from docseg_mm.registry import TRANSFORMS


class ImageLoadError(OSError):
    """An image file could not be read or decoded."""


class ImageNotFoundError(ImageLoadError, FileNotFoundError):
    """An image file does not exist."""


class ImageSizeMismatchError(ValueError):
    """A decoded image's size differs from the annotation's width/height."""


@TRANSFORMS.register_module()
class LoadDocImageFromFile(LoadImageFromFile):
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
        self.max_recorded = max_recorded
        self.num_bad_images = 0
        self.bad_images: List[str] = []

    def _read_bytes(self, filename: str) -> bytes:
        """Read the raw file through the configured file backend."""
        if self.file_client_args is not None:
            client = fileio.FileClient.infer_client(self.file_client_args,
                                                    filename)
            return client.get(filename)
        return fileio.get(filename, backend_args=self.backend_args)

    def _fail(self, results: dict, error: Exception) -> None:
        """Raise ``error``, or log and count it in skip mode."""
        if not (self.skip_bad_images or self.ignore_empty):
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

    def transform(self, results: dict) -> Optional[dict]:
        """Load the image of ``results['img_path']``.

        Args:
            results (dict): Data info from the dataset.

        Returns:
            dict | None: ``results`` with ``img``, ``img_shape`` and
            ``ori_shape``; None for a bad image in skip mode.
        """
        filename = results['img_path']
        where = f'{filename!r}'
        if results.get('img_id', None) is not None:
            where += f' (img_id {results["img_id"]!r})'
        try:
            img_bytes = self._read_bytes(filename)
        except FileNotFoundError:
            return self._fail(
                results, ImageNotFoundError(f'image file not found: {where}'))
        except Exception as e:  # backend errors vary
            return self._fail(
                results,
                ImageLoadError(f'cannot read image {where}: '
                               f'{type(e).__name__}: {e}'))
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
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        """Describe the transform and its switches."""
        return (super().__repr__()[:-1] +
                f', skip_bad_images={self.skip_bad_images}, '
                f'check_size={self.check_size})')
