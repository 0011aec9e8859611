# Copyright (c) docseg_mm contributors. All rights reserved.
"""Validation helpers for COCO-format annotation files.

These functions hold no dataset state. They check the structure of a COCO
json (``images`` / ``annotations`` / ``categories``) and the geometry of
single annotations, and raise :class:`AnnotationFormatError` with a message
that names the annotation file and the offending entry. Every dataset class
validates with these; skipped entries are counted and logged with
:class:`~docseg_mm.datasets.skip_report.SkipReportMixin`.
"""
import colorsys
import json
import math
from numbers import Real
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mmengine.fileio import get_local_path

REQUIRED_KEYS = ('images', 'annotations', 'categories')


class AnnotationFormatError(ValueError):
    """A COCO annotation file (or one of its entries) is malformed."""


class EmptyDatasetError(AnnotationFormatError):
    """Nothing is left of a dataset after loading and filtering."""


def is_number(value: Any) -> bool:
    """Whether ``value`` is a finite real number (``bool`` excluded).

    Args:
        value (Any): The value to test.

    Returns:
        bool: True for finite ints and floats.
    """
    kind = type(value)
    if kind is float:
        return math.isfinite(value)
    if kind is int:
        return True
    return (isinstance(value, Real) and not isinstance(value, bool)
            and math.isfinite(value))


def is_id(value: Any) -> bool:
    """Whether ``value`` can be a COCO id (an int or non-empty str).

    Args:
        value (Any): The value to test.

    Returns:
        bool: True for ints (``bool`` excluded) and non-empty strings.
    """
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and value != '')


def read_coco_json(ann_file: str,
                   backend_args: Optional[dict] = None,
                   optional_keys: Sequence[str] = ()) -> dict:
    """Read a COCO json and check its top-level structure.

    Args:
        ann_file (str): Path (or backend URI) of the annotation file.
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.
        optional_keys (Sequence[str]): Keys of ``images`` / ``annotations``
            / ``categories`` that may be absent (they become ``[]``).
            Defaults to ().

    Returns:
        dict: The decoded json with list-valued ``images``, ``annotations``
        and ``categories``.

    Raises:
        FileNotFoundError: The file does not exist.
        AnnotationFormatError: Not json, not an object, or a required key is
            missing or not a list.
    """
    if not ann_file:
        raise AnnotationFormatError('ann_file is empty: set `ann_file` (and '
                                    '`data_root`) in the dataset config')
    try:
        with get_local_path(ann_file, backend_args=backend_args) as path:
            with open(path, 'rb') as f:
                raw = json.load(f)
    except FileNotFoundError as e:
        raise FileNotFoundError(
            f'annotation file not found: {ann_file!r} ({e})') from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise AnnotationFormatError(
            f'annotation file {ann_file!r} is not valid json: {e}') from e
    if not isinstance(raw, dict):
        raise AnnotationFormatError(
            f'annotation file {ann_file!r}: top level must be a json object '
            f'with keys {list(REQUIRED_KEYS)}, got {type(raw).__name__}')
    for key in optional_keys:
        raw.setdefault(key, [])
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing:
        raise AnnotationFormatError(
            f'annotation file {ann_file!r} is not COCO format: missing '
            f'key(s) {missing} (found keys {sorted(raw)})')
    for key in REQUIRED_KEYS:
        if not isinstance(raw[key], list):
            raise AnnotationFormatError(
                f'annotation file {ann_file!r}: {key!r} must be a list, got '
                f'{type(raw[key]).__name__}')
        for i, entry in enumerate(raw[key]):
            if not isinstance(entry, dict):
                raise AnnotationFormatError(
                    f'annotation file {ann_file!r}: {key}[{i}] must be a '
                    f'json object, got {type(entry).__name__}: {entry!r:.80}')
    return raw


def check_categories(categories: List[dict],
                     ann_file: str,
                     allow_empty: bool = False) -> List[Tuple[int, str]]:
    """Check the ``categories`` list.

    Args:
        categories (list[dict]): The json ``categories`` entries.
        ann_file (str): Annotation file, for error messages.
        allow_empty (bool): Accept an empty list (per-image files whose
            annotations name their categories). Defaults to False.

    Returns:
        list[tuple[int, str]]: ``(id, name)`` pairs in file order.

    Raises:
        AnnotationFormatError: A category lacks an integer ``id`` or a
            non-empty string ``name``, or an id is repeated.
    """
    pairs: List[Tuple[int, str]] = []
    seen = set()
    for i, cat in enumerate(categories):
        cat_id, name = cat.get('id'), cat.get('name')
        if not isinstance(cat_id, int) or isinstance(cat_id, bool):
            raise AnnotationFormatError(
                f'annotation file {ann_file!r}: categories[{i}] ({cat!r:.80})'
                ' needs an integer "id"')
        if not isinstance(name, str) or not name:
            raise AnnotationFormatError(
                f'annotation file {ann_file!r}: category id {cat_id} needs a '
                'non-empty string "name"')
        if cat_id in seen:
            raise AnnotationFormatError(
                f'annotation file {ann_file!r}: category id {cat_id} is '
                'defined more than once')
        seen.add(cat_id)
        pairs.append((cat_id, name))
    if not pairs and not allow_empty:
        raise AnnotationFormatError(
            f'annotation file {ann_file!r}: "categories" is empty')
    return pairs


def check_image(img: dict, index: int, ann_file: str) -> None:
    """Check one ``images`` entry.

    Args:
        img (dict): The image entry.
        index (int): Its position in ``images``, for messages.
        ann_file (str): Annotation file, for messages.

    Raises:
        AnnotationFormatError: Missing/invalid ``id``, empty or missing
            ``file_name``, or a non-positive / missing ``width``/``height``.
    """
    img_id = img.get('id')
    if not is_id(img_id):
        raise AnnotationFormatError(
            f'annotation file {ann_file!r}: images[{index}] has no valid '
            f'"id" (got {img_id!r})')
    file_name = img.get('file_name')
    if not isinstance(file_name, str) or not file_name.strip():
        raise AnnotationFormatError(
            f'annotation file {ann_file!r}: image id {img_id!r} has a missing '
            f'or empty "file_name" (got {file_name!r})')
    for key in ('width', 'height'):
        value = img.get(key)
        if not is_number(value) or value <= 0:
            raise AnnotationFormatError(
                f'annotation file {ann_file!r}: image id {img_id!r} '
                f'(file_name {file_name!r}) has invalid {key!r}: {value!r}')


def parse_bbox(bbox: Any) -> Optional[List[float]]:
    """Return ``[x, y, w, h]`` as floats, or None if malformed.

    Args:
        bbox (Any): The json ``bbox`` value.

    Returns:
        list[float] | None: The box, or None unless it is a sequence of four
        finite numbers.
    """
    if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
        return None
    if not all(is_number(v) for v in bbox):
        return None
    return [float(v) for v in bbox]


def polygon_area(coords: Sequence[float]) -> float:
    """Absolute shoelace area of a flat ``[x0, y0, x1, y1, ...]`` polygon.

    Args:
        coords (Sequence[float]): Flat coordinate list of even length.

    Returns:
        float: The enclosed area in square pixels.
    """
    xs, ys = coords[0::2], coords[1::2]
    n = len(xs)
    twice = sum(xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i]
                for i in range(n))
    return abs(twice) / 2.0


def clean_polygons(segmentation: list) -> Tuple[List[List[float]], int]:
    """Keep the valid parts of a polygon segmentation.

    A part is valid when it is a flat list of at least 3 points (an even
    number >= 6 of finite numbers) enclosing a positive area. A flat list of
    numbers (a single part written without the outer list) is accepted as
    one part.

    Args:
        segmentation (list): The json ``segmentation`` list.

    Returns:
        tuple[list[list[float]], int]: The valid parts and the number of
        parts dropped.
    """
    if segmentation and all(is_number(v) for v in segmentation):
        segmentation = [segmentation]
    valid, dropped = [], 0
    for part in segmentation:
        if (isinstance(part, (list, tuple)) and len(part) >= 6
                and len(part) % 2 == 0 and all(is_number(v) for v in part)
                and polygon_area(part) > 1e-6):
            valid.append([float(v) for v in part])
        else:
            dropped += 1
    return valid, dropped


def is_valid_rle(segmentation: dict) -> bool:
    """Whether a dict segmentation looks like a COCO RLE.

    Args:
        segmentation (dict): The json ``segmentation`` object.

    Returns:
        bool: True when it has ``counts`` (list or str) and a 2-item
        ``size``.
    """
    size = segmentation.get('size')
    return (isinstance(segmentation.get('counts'), (list, str))
            and isinstance(size, (list, tuple)) and len(size) == 2)


def check_rle_size(seg: dict,
                   width: float,
                   height: float,
                   ann_file: str = '',
                   ann_id: Any = None,
                   image_id: Any = None) -> None:
    """Check that an RLE segmentation is sized like its page.

    Args:
        seg (dict): A valid RLE (``counts`` and ``size=[h, w]``).
        width (float): Page width of the image entry.
        height (float): Page height of the image entry.
        ann_file (str): The annotation file, for the message. Defaults to
            ''.
        ann_id (Any): The annotation id, for the message. Defaults to None.
        image_id (Any): The image id, for the message. Defaults to None.

    Raises:
        AnnotationFormatError: ``size`` differs from ``[height, width]``.
    """
    size = [int(v) if is_number(v) else v for v in seg['size']]
    page = [int(round(height)), int(round(width))]
    if size != page:
        raise AnnotationFormatError(
            f'annotation file {ann_file!r}: annotation id {ann_id!r} (image '
            f'id {image_id!r}) has an RLE segmentation of size {size} '
            f'(height, width) but its image is {page[0]}x{page[1]} '
            '(height x width): the mask cannot be decoded onto the page. '
            'Re-encode the mask at the page size or fix the image entry')


def check_coco_geometry(
        ann: dict,
        width: float,
        height: float,
        min_box_size: float = 1.0,
        clip_boxes: bool = True,
        bbox_as_missing_mask: bool = False,
        ann_file: str = ''
) -> Tuple[Optional[dict], str, Dict[str, int]]:
    """Check (and clip) the box and mask of one COCO annotation.

    Args:
        ann (dict): The json annotation.
        width (float): Page width.
        height (float): Page height.
        min_box_size (float): Minimum box width and height, checked before
            and after clipping. Defaults to 1.0.
        clip_boxes (bool): Clip the box to ``[0, W] x [0, H]``; without
            clipping a box only needs to overlap the page. Defaults to True.
        bbox_as_missing_mask (bool): Give an annotation without
            segmentation the rectangle of its (clipped) box as polygon.
            Defaults to False.
        ann_file (str): The annotation file, for error messages. Defaults
            to ''.

    Returns:
        tuple: ``dict(bbox=[x1, y1, x2, y2], mask=polygons | RLE | None)``
        and ``''``, or None and the skip reason (``ignored``, ``bad_bbox``,
        ``small_bbox``, ``outside_image``, ``zero_area``, ``bad_polygon``,
        ``bad_rle``); and counters ``clipped`` (0/1, the box was changed by
        clipping) and ``parts_dropped`` (degenerate polygon parts left out
        of a kept mask).

    Raises:
        AnnotationFormatError: An RLE segmentation whose ``size`` is not the
            page's ``[height, width]`` (it cannot be decoded onto the page).
    """
    notes = dict(clipped=0, parts_dropped=0)
    if ann.get('ignore', False):
        return None, 'ignored', notes
    box = parse_bbox(ann.get('bbox', None))
    if box is None:
        return None, 'bad_bbox', notes
    x, y, w, h = box
    if w < min_box_size or h < min_box_size:
        return None, 'small_bbox', notes
    x1, y1, x2, y2 = x, y, x + w, y + h
    if clip_boxes:
        clipped = (min(max(x1, 0.), width), min(max(y1, 0.), height),
                   min(max(x2, 0.), width), min(max(y2, 0.), height))
        notes['clipped'] = int(clipped != (x1, y1, x2, y2))
        x1, y1, x2, y2 = clipped
        if x2 - x1 < min_box_size or y2 - y1 < min_box_size:
            return None, 'outside_image', notes
    elif min(x2, width) - max(x1, 0.) <= 0 or \
            min(y2, height) - max(y1, 0.) <= 0:
        return None, 'outside_image', notes
    area = ann.get('area', None)
    if is_number(area) and area <= 0:
        return None, 'zero_area', notes

    mask: Any = None
    seg = ann.get('segmentation', None)
    if isinstance(seg, list) and seg:
        mask, dropped = clean_polygons(seg)
        if not mask:
            return None, 'bad_polygon', notes
        notes['parts_dropped'] = dropped
    elif isinstance(seg, dict):
        if not is_valid_rle(seg):
            return None, 'bad_rle', notes
        check_rle_size(seg, width, height, ann_file, ann.get('id'),
                       ann.get('image_id'))
        mask = seg
    elif seg not in (None, [], ''):
        return None, 'bad_polygon', notes
    if mask is None and bbox_as_missing_mask:
        mask = [[x1, y1, x2, y1, x2, y2, x1, y2]]
    return dict(bbox=[x1, y1, x2, y2], mask=mask), '', notes


def make_palette(num: int) -> List[Tuple[int, int, int]]:
    """Deterministic, well-separated RGB colours.

    Args:
        num (int): Number of colours.

    Returns:
        list[tuple[int, int, int]]: ``num`` colours.
    """
    palette = []
    for i in range(num):
        hue = (i * 0.618033988749895) % 1.0
        r, g, b = colorsys.hsv_to_rgb(hue, 0.65, 0.95)
        palette.append((int(r * 255), int(g * 255), int(b * 255)))
    return palette


def has_zero_precedence(ann: dict) -> bool:
    """DocLayNet's rule: ``precedence != 0`` marks the redundant second and
    third annotations of a double- or triple-annotated page.

    Args:
        ann (dict): A json annotation (without ``precedence`` it counts as
            0).

    Returns:
        bool: True for an annotation to keep.
    """
    return ann.get('precedence', 0) == 0


def precedence_skip_reason(ann: dict, drop_nonzero: bool) -> Optional[str]:
    """``'precedence'`` when a DocLayNet duplicate (``precedence != 0``)
    must be dropped, else None.

    Args:
        ann (dict): A json annotation.
        drop_nonzero (bool): Whether duplicates are dropped at all.

    Returns:
        str | None: The skip reason.
    """
    if drop_nonzero and not has_zero_precedence(ann):
        return 'precedence'
    return None
