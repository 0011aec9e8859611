# Copyright (c) docseg_mm contributors. All rights reserved.
"""Label-free folders of page images and a Pillow loader for (TIFF) pages.

:class:`LoadTiffPage` decodes with Pillow instead of mmcv's
``imfrombytes``. Checked with the pinned stack (opencv-python 4.x, Pillow
13, mmcv 2.1): for the *default* ``color_type='color'`` both mmcv backends
already give 0/255 for 1-bit pages (also CCITT G4) and the first page of a
multi-page TIFF. Where mmcv falls short for document scans:

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
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from PIL import Image, ImageOps

from docseg_mm.registry import DATASETS, TRANSFORMS
from .transforms import ImageLoadError, ImageNotFoundError

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp', '.webp')
MISSING_MODES = ('error', 'skip', 'defer')


def build_pipeline(pipeline: Sequence) -> list:
    """Build transform configs with ``docseg_mm``'s TRANSFORMS registry.

    Building here (instead of in the base dataset) finds ``docseg_mm``
    transforms such as :class:`LoadTiffPage` even when no default scope is
    set; other codebases' transforms need their prefix
    (``mmpretrain.PackInputs``).

    Args:
        pipeline (Sequence): Transform configs (dict) or callables.

    Returns:
        list: The built transforms.
    """
    return [
        TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline
    ]


def list_page_images(folder: str,
                     extensions: Sequence[str] = IMG_EXTENSIONS,
                     recursive: bool = True,
                     backend_args: Optional[dict] = None) -> List[str]:
    """List page images under ``folder`` in sorted (deterministic) order.

    Hidden files and everything inside hidden folders (names starting with
    ``.``, e.g. macOS ``._x.png`` or ``.ipynb_checkpoints``) are skipped.

    Args:
        folder (str): The folder to scan.
        extensions (Sequence[str]): Accepted suffixes, case-insensitive.
            Defaults to ``IMG_EXTENSIONS``.
        recursive (bool): Also scan sub-folders. Defaults to True.
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.

    Returns:
        list[str]: Paths relative to ``folder``, with ``/`` separators.

    Raises:
        FileNotFoundError: ``folder`` is not a directory.
    """
    if not fileio.isdir(folder, backend_args=backend_args):
        raise FileNotFoundError(f'image folder {folder!r} does not exist or '
                                'is not a directory')
    suffixes = tuple(e.lower() for e in extensions)
    found = []
    for rel in fileio.list_dir_or_file(
            folder,
            list_dir=False,
            list_file=True,
            recursive=recursive,
            backend_args=backend_args):
        rel = rel.replace(osp.sep, '/')
        if any(part.startswith('.') for part in rel.split('/')):
            continue
        if rel.lower().endswith(suffixes):
            found.append(rel)
    return sorted(found)


def drop_missing(paths: List[str],
                 wheres: List[str],
                 missing_images: str,
                 owner: str,
                 backend_args: Optional[dict] = None) -> List[int]:
    """Check that files exist, as ``missing_images`` says.

    Args:
        paths (list[str]): Image paths to check.
        wheres (list[str]): Where each path comes from (e.g.
            ``labels/train.txt:12``), used in messages.
        missing_images (str): ``'error'`` raises on the first missing file,
            ``'skip'`` drops missing files and logs how many (and the first
            few), ``'defer'`` does not check (the loader reports them).
        owner (str): Name used in messages (the dataset class).
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.

    Returns:
        list[int]: Indices of the entries to keep.

    Raises:
        FileNotFoundError: A file is missing and ``missing_images='error'``.
    """
    if missing_images not in MISSING_MODES:
        raise ValueError(f'missing_images must be one of {MISSING_MODES}, '
                         f'got {missing_images!r}')
    if missing_images == 'defer':
        return list(range(len(paths)))
    keep, missing = [], []
    for i, path in enumerate(paths):
        if fileio.exists(path, backend_args=backend_args):
            keep.append(i)
        elif missing_images == 'error':
            raise FileNotFoundError(
                f'{owner}: image {path!r} listed at {wheres[i]} does not '
                "exist (use missing_images='skip' to drop such entries)")
        else:
            missing.append(f'{path} ({wheres[i]})')
    if missing:
        print_log(
            f'{owner}: skipped {len(missing)} missing image(s) of '
            f'{len(paths)}; first: {missing[:5]}',
            logger='current',
            level=logging.WARNING)
    return keep


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
class LoadTiffPage(BaseTransform):
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
    :attr:`num_bad_images` and the transform returns None (mmengine's
    ``BaseDataset`` then refetches another index in training; in
    ``test_mode`` it raises).

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
        self.num_bad_images = 0

    def _fail(self, error: Exception) -> None:
        """Raise ``error``, or log and count it when skipping."""
        if not self.skip_bad_images:
            raise error
        self.num_bad_images += 1
        print_log(
            f'LoadTiffPage: skipping sample ({error}); {self.num_bad_images} '
            'bad image(s) so far in this process',
            logger='current',
            level=logging.WARNING)
        return None

    def transform(self, results: dict) -> Optional[dict]:
        """Load the page of ``results['img_path']``.

        Args:
            results (dict): Data info from the dataset.

        Returns:
            dict | None: ``results`` with the image, or None for a bad file
            when skipping.
        """
        filename = results['img_path']
        page = int(results.get('page', self.page))
        try:
            content = fileio.get(filename, backend_args=self.backend_args)
        except FileNotFoundError:
            return self._fail(
                ImageNotFoundError(f'image file not found: {filename!r}'))
        except Exception as e:  # backend errors vary
            return self._fail(
                ImageLoadError(f'cannot read image {filename!r}: '
                               f'{type(e).__name__}: {e}'))
        try:
            img, num_pages = decode_page(content, page, self.color_type)
        except Exception as e:  # PIL errors, IndexError, ...
            return self._fail(
                ImageLoadError(f'cannot decode page {page} of image '
                               f'{filename!r} ({len(content)} bytes): '
                               f'{type(e).__name__}: {e}'))
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results['num_pages'] = num_pages
        return results

    def __repr__(self) -> str:
        """Describe the transform."""
        return (f'{type(self).__name__}(page={self.page}, '
                f"color_type='{self.color_type}', "
                f'to_float32={self.to_float32}, '
                f'skip_bad_images={self.skip_bad_images})')


@DATASETS.register_module()
class PageImageFolder(BaseDataset):
    """Unlabelled page images of a folder, for self-supervised pretraining.

    Lists every image with one of ``extensions`` under
    ``data_root/data_prefix`` (recursively by default) in sorted order of
    the relative path, so the index order is the same on every machine and
    rank. Works on a user's own scans, DocLayNet's ``PNG/`` folder or a
    PubLayNet ``train/`` folder. With ``ann_file`` the images are instead
    the lines of that text file (paths relative to the folder; blank lines
    and lines starting with ``#`` are ignored).

    Data info: ``img_path`` and ``rel_path`` (plus mmengine's
    ``sample_idx``). Pair it with ``LoadTiffPage`` (or mmcv's
    ``LoadImageFromFile``) and e.g. ``mmpretrain.PackInputs``.

    Args:
        data_root (str): Root for ``data_prefix`` and ``ann_file``.
            Defaults to ''.
        data_prefix (str | dict): Image folder (``dict(img_path=...)`` or a
            str). Defaults to ''.
        ann_file (str): Optional list of relative image paths. Defaults to
            ''.
        recursive (bool): Scan sub-folders. Defaults to True.
        extensions (Sequence[str]): Accepted suffixes, case-insensitive.
            Defaults to ``IMG_EXTENSIONS`` (png, jpg, jpeg, tif, tiff, bmp,
            webp).
        missing_images (str): For ``ann_file`` entries: ``'error'``,
            ``'skip'`` (log and drop) or ``'defer'`` (no check). Defaults to
            ``'error'``.
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.
        pipeline (Sequence): Transforms; dicts are built in ``docseg_mm``'s
            registry. Defaults to ().
        **kwargs: Other arguments of mmengine's ``BaseDataset``
            (``indices``, ``test_mode``, ``lazy_init``, ``max_refetch``...).

    Raises:
        FileNotFoundError: The folder does not exist or holds no image, or
            ``ann_file`` is empty (messages name the folder / file).
    """

    def __init__(self,
                 data_root: str = '',
                 data_prefix: Union[str, dict] = '',
                 ann_file: str = '',
                 recursive: bool = True,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 missing_images: str = 'error',
                 backend_args: Optional[dict] = None,
                 pipeline: Sequence = (),
                 **kwargs) -> None:
        if missing_images not in MISSING_MODES:
            raise ValueError(f'missing_images must be one of '
                             f'{MISSING_MODES}, got {missing_images!r}')
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=data_prefix)
        self.recursive = recursive
        self.extensions = tuple(extensions)
        self.missing_images = missing_images
        self.backend_args = backend_args
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            pipeline=build_pipeline(pipeline),
            **kwargs)

    @property
    def img_prefix(self) -> str:
        """The folder the relative paths start from."""
        return self.data_prefix.get('img_path', '') or '.'

    def _read_list(self) -> Tuple[List[str], List[str]]:
        """Relative paths and their ``file:line`` from ``ann_file``."""
        text = fileio.get_text(self.ann_file, backend_args=self.backend_args)
        rels, wheres = [], []
        for lineno, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if line and not line.startswith('#'):
                rels.append(line)
                wheres.append(f'{self.ann_file}:{lineno}')
        if not rels:
            raise FileNotFoundError(
                f'PageImageFolder: image list {self.ann_file!r} is empty')
        return rels, wheres

    def load_data_list(self) -> List[dict]:
        """List the images.

        Returns:
            list[dict]: One ``dict(img_path, rel_path)`` per image.
        """
        folder = self.img_prefix
        if self.ann_file:
            rels, wheres = self._read_list()
            paths = [
                fileio.join_path(folder, r, backend_args=self.backend_args)
                for r in rels
            ]
            keep = drop_missing(paths, wheres, self.missing_images,
                                'PageImageFolder', self.backend_args)
            rels = [rels[i] for i in keep]
            if not rels:
                raise FileNotFoundError(
                    f'PageImageFolder: no image of {self.ann_file!r} exists '
                    f'under {folder!r}')
        else:
            rels = list_page_images(folder, self.extensions, self.recursive,
                                    self.backend_args)
            if not rels:
                exts = ', '.join(self.extensions)
                raise FileNotFoundError(
                    f'PageImageFolder: no page image ({exts}) found in folder '
                    f'{folder!r} (recursive={self.recursive})')
        return [
            dict(
                img_path=fileio.join_path(
                    folder, rel, backend_args=self.backend_args),
                rel_path=rel) for rel in rels
        ]
