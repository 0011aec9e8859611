# Copyright (c) docseg_mm contributors. All rights reserved.
"""Decoding helpers of :class:`LoadDocImageFromFile`: the EXIF orientation
policy and reduced-size decoding of large pages.

**EXIF orientation.** A JPEG (or TIFF/WebP/PNG with EXIF) may carry an
orientation tag: the pixels are stored in one frame and a viewer shows them
rotated or mirrored. cv2's ``IMREAD_COLOR`` (mmcv's default) applies the
tag, Pillow's ``Image.open`` does not, and annotation tools differ too, so
an annotation file may be in either frame. The loader therefore decodes the
stored pixels and applies the tag itself, as ``exif_orientation`` says:

* ``'stored'``: never apply it (the frame of ``PIL.Image.size`` and of most
  converters and renderers).
* ``'apply'``: always apply it (what a viewer shows; mmcv's behaviour).
* ``'auto'`` (default): for a sample without annotation size (page folders)
  apply it, as mmcv does. For an annotated sample the annotation file's
  ``width``/``height`` pick the frame when they can: a 90-degree tag (5-8)
  swaps width and height, so exactly one frame matches. A tag that keeps
  the size (2 mirror, 3 rotate 180, 4 flip) cannot be told apart by size:
  the loader raises :class:`ImageOrientationError` naming the file and the
  tag instead of guessing, and the user states the frame with ``'stored'``
  or ``'apply'``. Silently loading such a page rotated while its boxes are
  not (or the reverse) is never an option.

Rotating the annotations together with the image (``'apply'`` for boxes in
the stored frame) is not offered: for training, an image and annotations in
the same frame are all that matters, and the stored frame gives exactly
that without touching the geometry.

**Reduced decoding.** A 6000x8000 scan that the pipeline shrinks to
1333x800 anyway need not be decoded at full size: JPEG's DCT scaling
(libjpeg via cv2 ``IMREAD_REDUCED_*``, Pillow's ``draft``) decodes at 1/2,
1/4 or 1/8 size directly, at a fraction of the memory and time. The loader
picks the largest factor whose result still covers the later resize, and
scales the sample's annotations (``instances``: boxes, polygons, RLE) by the
exact factor between the decoded size and the annotation size, so the
sample is consistent as if the dataset had been stored smaller. Other
formats are decoded at full size and reduced with ``cv2.INTER_AREA``
(annotations scaled the same way; memory is saved downstream only).
"""
import io
import math
import warnings
from typing import List, NamedTuple, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
from PIL import Image

#: EXIF orientation tag id.
ORIENTATION_TAG = 0x0112
#: What each EXIF orientation value asks a viewer to do.
ORIENTATION_NAMES = {
    1: 'none',
    2: 'mirror left-right',
    3: 'rotate 180 degrees',
    4: 'mirror top-bottom',
    5: 'transpose (mirror + rotate 90 degrees)',
    6: 'rotate 90 degrees clockwise',
    7: 'transverse (mirror + rotate 270 degrees)',
    8: 'rotate 90 degrees counter-clockwise',
}
#: Tags that swap width and height.
SWAPPING = frozenset({5, 6, 7, 8})
EXIF_MODES = ('auto', 'stored', 'apply')
#: DCT scaling factors of libjpeg offered by cv2's IMREAD_REDUCED_* flags.
REDUCTIONS = (8, 4, 2)
_CV2_REDUCED = {
    ('color', 2): cv2.IMREAD_REDUCED_COLOR_2,
    ('color', 4): cv2.IMREAD_REDUCED_COLOR_4,
    ('color', 8): cv2.IMREAD_REDUCED_COLOR_8,
    ('grayscale', 2): cv2.IMREAD_REDUCED_GRAYSCALE_2,
    ('grayscale', 4): cv2.IMREAD_REDUCED_GRAYSCALE_4,
    ('grayscale', 8): cv2.IMREAD_REDUCED_GRAYSCALE_8,
}


class ImageLoadError(OSError):
    """An image file could not be read or decoded."""


class ImageNotFoundError(ImageLoadError, FileNotFoundError):
    """An image file does not exist."""


class ImageSizeMismatchError(ValueError):
    """A decoded image's size differs from the annotation's width/height."""


class ImageOrientationError(ImageSizeMismatchError):
    """An EXIF orientation tag leaves the annotation frame ambiguous."""


class ImageHeader(NamedTuple):
    """What the file header says, without decoding the pixels."""
    width: int  #: stored width
    height: int  #: stored height
    orientation: int  #: EXIF orientation (1 when absent)
    format: str  #: Pillow's format name ('JPEG', 'PNG', ...)


def probe_image(content: bytes) -> Optional[ImageHeader]:
    """Read size, EXIF orientation and format from the header.

    Args:
        content (bytes): The file content.

    Returns:
        ImageHeader | None: None if Pillow cannot parse the header (the
        decoder then reports the file).
    """
    try:
        with warnings.catch_warnings(), \
                Image.open(io.BytesIO(content)) as img:
            warnings.simplefilter('ignore')  # corrupt EXIF of bad files
            if img.format == 'PNG':  # getexif() would decode the pixels
                raw = img.info.get('exif')
                exif = Image.Exif()
                if raw:
                    exif.load(raw)
            else:
                exif = img.getexif()
            orientation = exif.get(ORIENTATION_TAG, 1)
            if orientation not in ORIENTATION_NAMES:
                orientation = 1
            return ImageHeader(img.size[0], img.size[1], int(orientation),
                               str(img.format))
    except Exception:  # not an image, truncated header, bad EXIF ...
        return None


def oriented_hw(header: ImageHeader, apply: bool) -> Tuple[int, int]:
    """``(h, w)`` of the stored pixels, or as shown with the tag applied.

    Args:
        header (ImageHeader): The probed header.
        apply (bool): Whether the orientation is applied.

    Returns:
        tuple[int, int]: Height and width.
    """
    if apply and header.orientation in SWAPPING:
        return header.width, header.height
    return header.height, header.width


def apply_orientation(img: np.ndarray, orientation: int) -> np.ndarray:
    """Transform stored pixels as a viewer shows them (PIL's
    ``ImageOps.exif_transpose`` on arrays).

    Args:
        img (np.ndarray): ``(H, W)`` or ``(H, W, C)`` stored pixels.
        orientation (int): EXIF orientation 1..8.

    Returns:
        np.ndarray: The oriented, contiguous image.
    """
    swap = (1, 0) + tuple(range(2, img.ndim))
    if orientation == 2:
        img = img[:, ::-1]
    elif orientation == 3:
        img = img[::-1, ::-1]
    elif orientation == 4:
        img = img[::-1]
    elif orientation == 5:
        img = img.transpose(swap)
    elif orientation == 6:
        img = np.rot90(img, k=-1)
    elif orientation == 7:
        img = img.transpose(swap)[::-1, ::-1]
    elif orientation == 8:
        img = np.rot90(img, k=1)
    return np.ascontiguousarray(img)


def choose_orientation(mode: str, header: Optional[ImageHeader],
                       expected: Optional[Tuple[int, int]],
                       where: str) -> bool:
    """Decide whether the EXIF orientation is applied (see the module
    docstring).

    Args:
        mode (str): ``'auto'``, ``'stored'`` or ``'apply'``.
        header (ImageHeader, optional): The probed header.
        expected (tuple[int, int], optional): ``(h, w)`` of the annotation
            file; None for unannotated samples.
        where (str): The file (and img_id), for the message.

    Returns:
        bool: Whether to apply the tag.

    Raises:
        ImageOrientationError: ``'auto'`` on an annotated page whose tag
            keeps the size (2, 3, 4), so the frame is ambiguous.
    """
    if header is None or header.orientation == 1 or mode == 'stored':
        return False
    if mode == 'apply' or expected is None:
        return True
    if header.orientation in SWAPPING:
        # the frame whose size matches; the size check reports a mismatch
        return tuple(expected) == oriented_hw(header, True)
    raise ImageOrientationError(
        f'image {where} has EXIF orientation {header.orientation} '
        f'({ORIENTATION_NAMES[header.orientation]}), which keeps the page '
        'size, so the annotation size cannot tell whether its annotations '
        'are in the stored frame or in the rotated one shown by viewers. '
        "Set exif_orientation='stored' on LoadDocImageFromFile if they "
        "were made on the stored pixels (PIL's Image.size frame), or "
        "exif_orientation='apply' if they were drawn on the page as a "
        'viewer shows it (tools/misc/check_dataset.py lists such files)')


def size_error(where: str, hw: Tuple[int, int], expected: Tuple[int, int],
               header: Optional[ImageHeader]) -> ImageSizeMismatchError:
    """The error for a page whose size is not the annotation's.

    Args:
        where (str): The file (and img_id).
        hw (tuple[int, int]): The page's (h, w) in the chosen frame.
        expected (tuple[int, int]): The annotation file's (h, w).
        header (ImageHeader, optional): The probed header (for a hint when
            the other EXIF frame would match).

    Returns:
        ImageSizeMismatchError: The error to raise (or skip).
    """
    msg = (f'image {where} is {hw[1]}x{hw[0]} (w x h) but the annotation '
           f'file says {expected[1]}x{expected[0]}')
    if header is not None and header.orientation in SWAPPING:
        msg += (f' (it has EXIF orientation {header.orientation}: '
                f'{ORIENTATION_NAMES[header.orientation]}; stored frame '
                f'{header.width}x{header.height}, neither frame matches)')
    return ImageSizeMismatchError(msg)


def reduction_factor(hw: Tuple[int, int],
                     scale: Optional[Sequence[int]]) -> int:
    """Largest of 8, 4, 2 whose reduced page still covers ``scale``.

    ``scale`` is that of a following keep-ratio resize (mmdet ``Resize(
    scale, keep_ratio=True)``: long edge <= max(scale), short edge <=
    min(scale)). The reduced page (``ceil(h / r) x ceil(w / r)``) must not
    need upscaling to get there.

    Args:
        hw (tuple[int, int]): Page height and width.
        scale (Sequence[int], optional): The resize scale; None gives 1.

    Returns:
        int: 1, 2, 4 or 8.
    """
    if not scale:
        return 1
    long_s, short_s = max(scale), min(scale)
    for r in REDUCTIONS:
        h, w = math.ceil(hw[0] / r), math.ceil(hw[1] / r)
        if min(long_s / max(h, w), short_s / min(h, w)) <= 1.0:
            return r
    return 1


def decode_stored(content: bytes, color_type: str, backend: Optional[str],
                  reduce: int = 1) -> Optional[np.ndarray]:
    """Decode the stored pixels (no orientation applied), ``reduce`` times
    smaller.

    JPEG pages use DCT scaling (cv2 ``IMREAD_REDUCED_*`` or Pillow
    ``draft``); others are decoded whole and shrunk with ``INTER_AREA``.

    Args:
        content (bytes): The file content.
        color_type (str): mmcv flag (``'color'``, ``'grayscale'``,
            ``'unchanged'`` ...).
        backend (str, optional): mmcv decoding backend.
        reduce (int): 1, 2, 4 or 8. Defaults to 1.

    Returns:
        np.ndarray | None: The image (None when the decoder gives none).
    """
    flag = {'color': 'color_ignore_orientation',
            'grayscale': 'grayscale_ignore_orientation'}.get(
                color_type, color_type)
    if reduce > 1 and (backend or mmcv.image.io.imread_backend) == 'cv2' \
            and (color_type, reduce) in _CV2_REDUCED:
        cv_flag = _CV2_REDUCED[(color_type, reduce)] | \
            cv2.IMREAD_IGNORE_ORIENTATION
        return cv2.imdecode(np.frombuffer(content, np.uint8), cv_flag)
    if reduce > 1 and backend == 'pillow':
        with Image.open(io.BytesIO(content)) as img:
            full_w, full_h = img.size
            mode = 'L' if color_type == 'grayscale' else 'RGB'
            # Pillow picks the largest scale with size // request >= 1/r
            img.draft(mode, (max(full_w // reduce, 1),
                             max(full_h // reduce, 1)))
            if color_type == 'grayscale':
                arr = np.asarray(img.convert('L'))
            else:
                arr = np.ascontiguousarray(
                    np.asarray(img.convert('RGB'))[..., ::-1])
    else:
        arr = mmcv.imfrombytes(content, flag=flag, backend=backend)
        if arr is None or reduce == 1:
            return arr
        full_h, full_w = arr.shape[:2]
    size = (math.ceil(full_w / reduce), math.ceil(full_h / reduce))
    if (arr.shape[1], arr.shape[0]) != size:
        arr = cv2.resize(arr, size, interpolation=cv2.INTER_AREA)
    return arr


def rescale_instances(instances: List[dict], sx: float,
                      sy: float, hw: Tuple[int, int]) -> List[dict]:
    """Scale the boxes and masks of data-info ``instances``.

    Args:
        instances (list[dict]): ``bbox`` (x1, y1, x2, y2) and optional
            ``mask`` (polygons, or an RLE dict sized like the page).
        sx (float): Horizontal factor.
        sy (float): Vertical factor.
        hw (tuple[int, int]): The new page ``(h, w)`` (RLE masks are
            resampled to it).

    Returns:
        list[dict]: New instance dicts (the inputs are not changed).
    """
    out = []
    for inst in instances:
        inst = dict(inst)
        x1, y1, x2, y2 = inst['bbox']
        inst['bbox'] = [x1 * sx, y1 * sy, x2 * sx, y2 * sy]
        mask = inst.get('mask')
        if isinstance(mask, list):
            inst['mask'] = [[v * (sy if i % 2 else sx)
                             for i, v in enumerate(part)] for part in mask]
        elif isinstance(mask, dict):
            inst['mask'] = _rescale_rle(mask, hw)
        out.append(inst)
    return out


def _rescale_rle(rle: dict, hw: Tuple[int, int]) -> dict:
    """Resample an RLE mask (nearest) to ``hw`` and re-encode it."""
    from pycocotools import mask as mask_utils
    h, w = int(rle['size'][0]), int(rle['size'][1])
    if isinstance(rle['counts'], list):
        rle = mask_utils.frPyObjects(rle, h, w)
    full = mask_utils.decode(rle)
    small = cv2.resize(full, (hw[1], hw[0]), interpolation=cv2.INTER_NEAREST)
    out = mask_utils.encode(np.asfortranarray(small))
    # as in json files (mmdet's LoadAnnotations takes str, not bytes)
    return dict(size=[int(v) for v in out['size']],
                counts=out['counts'].decode('ascii'))
