# Copyright (c) docseg_mm contributors. All rights reserved.
"""Per-image COCO json checks and DocSAM's annotation rectification.

Pure functions used by :class:`DocSAMFolderDataset`: reading one per-image
COCO dict (with the checks of :mod:`.ann_checks`), resolving
``category_id`` (an int id or a category name) and the geometry rules of
DocSAM's ``_coco_data_rectify`` (clip to the image, box from polygon /
polygon from box).
"""
from typing import Any, Dict, List, Optional, Tuple

from .ann_checks import (AnnotationFormatError, check_categories,
                         clean_polygons, is_number, parse_bbox, polygon_area,
                         read_coco_json)

BACKGROUND = '_background_'
Box = Tuple[float, float, float, float]
Polygons = List[List[float]]


def read_image_json(path: str) -> dict:
    """Read a per-image COCO dict and check its structure.

    Args:
        path (str): Json path.

    Returns:
        dict: The json with ``images`` (non-empty, ``images[0]`` with
        positive ``width``/``height``), ``annotations`` and ``categories``
        (``[]`` when absent) lists of objects.

    Raises:
        FileNotFoundError: The file does not exist.
        AnnotationFormatError: Not json or a malformed structure.
    """
    raw = read_coco_json(path, optional_keys=('categories', ))
    if not raw['images']:
        raise AnnotationFormatError(
            f'annotation file {path!r}: "images" is empty (need images[0] '
            'with height and width)')
    img = raw['images'][0]
    for key in ('width', 'height'):
        if not is_number(img.get(key)) or img[key] <= 0:
            raise AnnotationFormatError(
                f'annotation file {path!r}: images[0] has invalid {key!r}: '
                f'{img.get(key)!r}')
    return raw


def category_names(categories: List[dict], path: str) -> Dict[int, str]:
    """``id -> name`` of a json's ``categories`` (file order; may be empty).

    Args:
        categories (list[dict]): The json categories.
        path (str): Json path, for messages.

    Returns:
        dict[int, str]: Category names by id.

    Raises:
        AnnotationFormatError: See :func:`.ann_checks.check_categories`.
    """
    return dict(check_categories(categories, path, allow_empty=True))


def resolve_category(ann: dict, index: int, id2name: Dict[int, str],
                     path: str) -> Tuple[Optional[str], Any]:
    """Category name of an annotation (``category_id`` is an id or a name).

    Args:
        ann (dict): The annotation.
        index (int): Its position in ``annotations``, for messages.
        id2name (dict[int, str]): The json's categories.
        path (str): Json path, for messages.

    Returns:
        tuple[str | None, Any]: The name, or None when the id / name is not
        a category of the file (only a name is accepted when the file has
        no categories), and the raw ``category_id``.

    Raises:
        AnnotationFormatError: ``category_id`` is missing or neither an int
            nor a non-empty string.
    """
    cat = ann.get('category_id', None)
    if isinstance(cat, str) and cat:
        if not id2name or cat in id2name.values():
            return cat, cat
        return None, cat
    if isinstance(cat, int) and not isinstance(cat, bool):
        return id2name.get(cat, None), cat
    raise AnnotationFormatError(
        f'annotation file {path!r}: annotations[{index}] (id '
        f'{ann.get("id")!r}) has an invalid category_id {cat!r} (need an '
        'integer category id or a category name)')


def _clip_polygon(part: List[float], width: float,
                  height: float) -> List[float]:
    """Clamp the points of a flat polygon into the image."""
    out = list(part)
    out[0::2] = [min(max(v, 0.), width) for v in out[0::2]]
    out[1::2] = [min(max(v, 0.), height) for v in out[1::2]]
    return out


def rectify_geometry(
        ann: dict, width: float, height: float,
        min_size: float) -> Tuple[Optional[Tuple[Box, Polygons]], str]:
    """Clip an annotation's box/polygons to the image and complete them.

    The polygon comes from ``poly`` (one flat polygon, or a list of them)
    if present, else from ``segmentation`` (list of flat polygons or one
    flat polygon). Polygon parts need >= 3 points and a positive area after
    clamping to ``[0, W] x [0, H]``. The box (``bbox``, xywh) is clipped
    likewise; a missing box is the bounds of the polygons and a missing
    polygon the rectangle of the box.

    Args:
        ann (dict): The annotation.
        width (float): Image width.
        height (float): Image height.
        min_size (float): Minimum box width and height after clipping.

    Returns:
        tuple: ``((x1, y1, x2, y2), polygons)`` and ``''``, or ``None`` and
        a skip reason: ``no_geometry`` (no box, no polygon),
        ``unsupported_rle`` (a dict segmentation), ``bad_polygon`` (no box
        and no valid polygon part), ``small_bbox`` / ``outside_image``
        (box smaller than ``min_size`` before / after clipping).
    """
    seg = ann['poly'] if 'poly' in ann else ann.get('segmentation', None)
    if isinstance(seg, dict):
        return None, 'unsupported_rle'
    has_seg = isinstance(seg, (list, tuple)) and len(seg) > 0
    box = parse_bbox(ann.get('bbox', None))
    if box is None and not has_seg:
        return None, 'no_geometry'
    polys: Polygons = []
    if has_seg:
        parts, _ = clean_polygons(list(seg))
        for part in parts:
            part = _clip_polygon(part, width, height)
            if polygon_area(part) > 1e-6:
                polys.append(part)
    if box is not None:
        x, y, w, h = box
        if w < min_size or h < min_size:
            return None, 'small_bbox'
        x1, y1 = min(max(x, 0.), width), min(max(y, 0.), height)
        x2, y2 = min(max(x + w, 0.), width), min(max(y + h, 0.), height)
    elif polys:
        xs = [v for p in polys for v in p[0::2]]
        ys = [v for p in polys for v in p[1::2]]
        x1, y1, x2, y2 = min(xs), min(ys), max(xs), max(ys)
    else:
        return None, 'bad_polygon'
    if x2 - x1 < min_size or y2 - y1 < min_size:
        return None, 'outside_image'
    if not polys:
        polys = [[x1, y1, x2, y1, x2, y2, x1, y2]]
    return ((x1, y1, x2, y2), polys), ''


def polygons_area(polys: Polygons) -> float:
    """Summed shoelace area of polygon parts (for sorting by size)."""
    return sum(polygon_area(p) for p in polys)
