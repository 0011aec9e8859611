# Copyright (c) docseg_mm contributors. All rights reserved.
"""COCO part of the dataset check (:mod:`.dataset_check`): every image entry
and every annotation of a :class:`~.CocoDocDataset` file, with the checks
the dataset itself runs (:mod:`.ann_checks`), but all of them reported
instead of the first error or five skipped ids.
"""
import os.path as osp
from typing import Any, Dict, List, Tuple

from .ann_checks import (AnnotationFormatError, check_categories,
                         check_coco_geometry, check_image, is_id,
                         read_coco_json)

Problem = Dict[str, str]


def _ann_problem(problem: str, ann_file: str, ann: dict, img: Any,
                 message: str) -> Problem:
    """A problem record for an annotation."""
    entry = f'annotation id {ann.get("id")!r} (image id ' \
        f'{ann.get("image_id")!r}'
    if isinstance(img, dict):
        entry += f', file_name {img.get("file_name")!r}'
    return dict(problem=problem, file=ann_file, entry=entry + ')',
                message=message)


def audit_coco_dataset(dataset: Any) -> Tuple[List[Problem], List[dict]]:
    """Check a (lazily built) :class:`~.CocoDocDataset`'s annotation file.

    Uses the dataset's own settings (``min_box_size``, ``clip_boxes``,
    ``bbox_as_missing_mask``, ``unknown_category``, precedence filter and
    selected ``classes``).

    Problems: ``annotation_file`` (unreadable or not COCO: nothing else is
    checked), ``invalid_image_entry``, ``invalid_annotation`` (id,
    ``image_id`` or ``category_id`` missing or repeated),
    ``unknown_category`` (an error unless the dataset skips them),
    ``missing_image_id``, ``rle_size_mismatch``, the dataset's skip reasons
    (``bad_bbox``, ``small_bbox``, ``outside_image``, ``zero_area``,
    ``bad_polygon``, ``bad_rle``), ``clipped_box`` and
    ``bad_polygon_part`` (degenerate parts of a kept polygon).

    Args:
        dataset (CocoDocDataset): The dataset, built with ``lazy_init``.

    Returns:
        tuple[list[dict], list[dict]]: The problems and the image entries
        to decode (``img_path``, ``img_id``, ``height``, ``width``; every
        valid entry, duplicates included).
    """
    ann_file = dataset.ann_file
    problems: List[Problem] = []
    try:
        raw = read_coco_json(ann_file, dataset.backend_args)
        cat_pairs = check_categories(raw['categories'], ann_file)
    except (OSError, AnnotationFormatError) as e:
        return [dict(problem='annotation_file', file=ann_file, entry='',
                     message=str(e))], []
    images: Dict[Any, dict] = {}
    items = []
    for i, img in enumerate(raw['images']):
        try:
            check_image(img, i, ann_file)
            if img['id'] in images:
                raise AnnotationFormatError(
                    f'image id {img["id"]!r} is defined more than once')
        except AnnotationFormatError as e:
            problems.append(dict(problem='invalid_image_entry', file=ann_file,
                                 entry=f'images[{i}]', message=str(e)))
            continue
        images[img['id']] = img
        items.append(dict(
            img_path=osp.join(dataset.data_prefix['img'], img['file_name']),
            img_id=img['id'], height=int(round(img['height'])),
            width=int(round(img['width']))))
    file_cats = dict(cat_pairs)
    classes = dataset._metainfo.get('classes') or tuple(file_cats.values())
    selected = set(classes)
    seen = set()
    for j, ann in enumerate(raw['annotations']):
        img = images.get(ann.get('image_id'))
        bad = [k for k in ('id', 'image_id', 'category_id')
               if not is_id(ann.get(k))]
        if bad or ann['id'] in seen:
            why = f'no valid {bad}' if bad else 'an id used more than once'
            problems.append(_ann_problem(
                'invalid_annotation', ann_file, ann, img,
                f'annotations[{j}] has {why}'))
            continue
        seen.add(ann['id'])
        if img is None:
            problems.append(_ann_problem(
                'missing_image_id', ann_file, ann, img,
                f'image_id {ann["image_id"]!r} is not an image of the file '
                '(or its entry is invalid); the annotation is skipped'))
            continue
        if ann['category_id'] not in file_cats:
            problems.append(_ann_problem(
                'unknown_category', ann_file, ann, img,
                f'category_id {ann["category_id"]!r} is not among the file\'s '
                f'categories {sorted(file_cats)}'))
            continue
        if file_cats[ann['category_id']] not in selected or \
                dataset._filter_annotation(ann):
            continue  # categories outside classes, precedence: intended
        try:
            geom, reason, notes = check_coco_geometry(
                ann, img['width'], img['height'], dataset.min_box_size,
                dataset.clip_boxes, dataset.bbox_as_missing_mask, ann_file)
        except AnnotationFormatError as e:
            problems.append(_ann_problem('rle_size_mismatch', ann_file, ann,
                                         img, str(e)))
            continue
        if geom is None and reason != 'ignored':
            problems.append(_ann_problem(
                reason, ann_file, ann, img,
                f'skipped while loading ({reason}): bbox '
                f'{ann.get("bbox")!r:.80}, segmentation '
                f'{ann.get("segmentation")!r:.80} on a '
                f'{img["width"]}x{img["height"]} page'))
            continue
        if notes['clipped']:
            problems.append(_ann_problem(
                'clipped_box', ann_file, ann, img,
                f'bbox {ann.get("bbox")!r} reaches outside the '
                f'{img["width"]}x{img["height"]} page: clipped'))
        if notes['parts_dropped']:
            problems.append(_ann_problem(
                'bad_polygon_part', ann_file, ann, img,
                f'{notes["parts_dropped"]} degenerate polygon part(s) left '
                'out of the mask'))
    return problems, items
