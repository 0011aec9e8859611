# Copyright (c) docseg_mm contributors. All rights reserved.
"""Semantic masks and page-level tags from COCO instance annotations.

Document layout datasets (DocLayNet, PubLayNet, the embedded demo set) ship
instance annotations. The weakly supervised and unsupervised semantic
segmentation methods need two other views of the same labels:

* a **semantic mask** per page: ``uint8``, ``0`` = background,
  ``i + 1`` = ``classes[i]``, :data:`IGNORE_INDEX` on a thin band along every
  element's outline (layout boxes are loose, so those pixels are ambiguous);
* **page-level tags**: the set of classes that have at least one annotation on
  the page (what a weakly supervised method learns from).

Elements are painted from the largest to the smallest, so a caption inside a
picture stays a caption. ``iscrowd`` annotations are painted as ignore.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
from pycocotools import mask as mask_utils

#: Value of ignored pixels in the semantic masks (mmseg's default).
IGNORE_INDEX = 255


def _instance_mask(ann: dict, height: int, width: int) -> np.ndarray:
    """Binary ``(H, W)`` mask of one COCO annotation (polygons, RLE or, when
    it has no segmentation, its box)."""
    seg = ann.get('segmentation')
    if not seg:
        x, y, w, h = ann['bbox']
        seg = [[x, y, x + w, y, x + w, y + h, x, y + h]]
    if isinstance(seg, list):
        rles = mask_utils.frPyObjects(seg, height, width)
        rle = mask_utils.merge(rles)
    elif isinstance(seg.get('counts'), list):
        rle = mask_utils.frPyObjects(seg, height, width)
    else:
        rle = seg
    return mask_utils.decode(rle).astype(bool)


def rasterize_semantic(annotations: Sequence[dict],
                       height: int,
                       width: int,
                       cat_to_label: Dict[int, int],
                       border: int = 1) -> np.ndarray:
    """Paint the annotations of one page into a semantic mask.

    Args:
        annotations (Sequence[dict]): COCO annotations of the page.
        height (int): Page height in pixels.
        width (int): Page width in pixels.
        cat_to_label (dict[int, int]): COCO category id -> label value
            (``1..C``). Annotations of other categories are ignored.
        border (int): Half-width in pixels of the ignored band along each
            element outline; 0 disables it. Defaults to 1.

    Returns:
        np.ndarray: ``uint8`` mask of shape ``(height, width)``.
    """
    sem = np.zeros((height, width), np.uint8)
    band = np.zeros((height, width), bool)
    kernel = np.ones((2 * border + 1, 2 * border + 1), np.uint8)
    anns = [a for a in annotations if a.get('category_id') in cat_to_label]
    anns.sort(key=lambda a: -float(a.get('area', a['bbox'][2] * a['bbox'][3])))
    for ann in anns:
        m = _instance_mask(ann, height, width)
        if ann.get('iscrowd', 0):
            sem[m] = IGNORE_INDEX
            continue
        sem[m] = cat_to_label[ann['category_id']]
        if border > 0:
            m8 = m.astype(np.uint8)
            band |= (cv2.dilate(m8, kernel) - cv2.erode(m8, kernel)) > 0
    sem[band] = IGNORE_INDEX
    return sem


def page_tags(annotations: Sequence[dict], cat_to_name: Dict[int, str],
              classes: Sequence[str]) -> List[str]:
    """Classes (in ``classes`` order) with a non-crowd annotation on a page.

    Args:
        annotations (Sequence[dict]): COCO annotations of the page.
        cat_to_name (dict[int, str]): COCO category id -> name.
        classes (Sequence[str]): The class list; other names are ignored.

    Returns:
        list[str]: The page's tags.
    """
    present = {
        cat_to_name.get(a.get('category_id'))
        for a in annotations if not a.get('iscrowd', 0)
    }
    return [c for c in classes if c in present]


def coco_to_semantic(ann_file: str,
                     out_dir: str,
                     tags_file: Optional[str] = None,
                     classes: Optional[Sequence[str]] = None,
                     border: int = 1,
                     keep_annotation=None) -> Dict[str, int]:
    """Write a semantic mask per image of a COCO file (and the page tags).

    Args:
        ann_file (str): COCO instance annotation file.
        out_dir (str): Folder for the masks, ``<image file stem>.png``
            (sub-folders of ``file_name`` are kept).
        tags_file (str, optional): Where to write the tags json
            ``{"classes": [...], "tags": {file_name: [class names]}}``.
            Defaults to None (not written).
        classes (Sequence[str], optional): Class names in label order
            (label ``i + 1`` = ``classes[i]``). Defaults to the file's
            categories in id order.
        border (int): See :func:`rasterize_semantic`. Defaults to 1.
        keep_annotation (callable, optional): ``ann -> bool`` filter, e.g.
            DocLayNet's ``precedence == 0`` rule. Defaults to None (keep all).

    Returns:
        dict: Counts: ``images``, ``annotations`` painted.
    """
    with open(ann_file) as f:
        coco = json.load(f)
    cats = sorted(coco['categories'], key=lambda c: c['id'])
    cat_to_name = {c['id']: c['name'] for c in cats}
    if classes is None:
        classes = [c['name'] for c in cats]
    unknown = [c for c in classes if c not in cat_to_name.values()]
    if unknown:
        raise ValueError(f'{ann_file}: class name(s) {unknown} are not '
                         'categories of the file')
    label_of = {name: i + 1 for i, name in enumerate(classes)}
    cat_to_label = {
        cid: label_of[name]
        for cid, name in cat_to_name.items() if name in label_of
    }
    by_image: Dict[object, List[dict]] = {}
    for ann in coco['annotations']:
        if keep_annotation is None or keep_annotation(ann):
            by_image.setdefault(ann['image_id'], []).append(ann)
    tags: Dict[str, List[str]] = {}
    painted = 0
    for img in coco['images']:
        anns = by_image.get(img['id'], [])
        sem = rasterize_semantic(anns, int(img['height']), int(img['width']),
                                 cat_to_label, border)
        dst = osp.join(out_dir, osp.splitext(img['file_name'])[0] + '.png')
        os.makedirs(osp.dirname(dst), exist_ok=True)
        if not cv2.imwrite(dst, sem):
            raise OSError(f'could not write {dst}')
        tags[img['file_name']] = page_tags(anns, cat_to_name, classes)
        painted += sum(a.get('category_id') in cat_to_label for a in anns)
    if tags_file is not None:
        os.makedirs(osp.dirname(osp.abspath(tags_file)), exist_ok=True)
        with open(tags_file, 'w') as f:
            json.dump({'classes': list(classes), 'tags': tags}, f, indent=1)
    return {'images': len(coco['images']), 'annotations': painted}
