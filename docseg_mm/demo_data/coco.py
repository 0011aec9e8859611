# Copyright (c) docseg_mm contributors. All rights reserved.
"""COCO dicts of the demo splits, with DocLayNet's quirks in ``train``:
boxes that touch the page edge reach slightly past it, and a few redundant
copies with ``precedence`` 1 and 2 (what ``DocLayNetDataset`` filters)."""
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .classes import CATEGORY_IDS, DOCLAYNET_CLASSES

COLLECTION = 'docseg_mm_demo'
#: Train pages that get a duplicate annotation with precedence 1 (and 2).
DUP_EVERY = 25
#: How far past the page edge DocLayNet-like edge boxes reach (pixels).
EDGE_OVERSHOOT = 0.4


def polygon_area(flat: Sequence[float]) -> float:
    """Area of a polygon given as ``[x1, y1, x2, y2, ...]`` (shoelace)."""
    p = np.asarray(flat, np.float64).reshape(-1, 2)
    x, y = p[:, 0], p[:, 1]
    return float(
        abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def _rect(x0: float, y0: float, x1: float, y1: float) -> List[float]:
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def coco_dict(split: str, records: Sequence[Tuple[int, Dict, List]],
              names: Sequence[str], version: int) -> Dict:
    """Assemble the COCO dict of a split.

    Args:
        split (str): ``'train'`` (with quirks) or ``'val'`` (clean).
        records (Sequence[tuple]): ``(index, info, annotations)`` per page;
            ``info`` has ``width``, ``height``, ``doc_category``,
            ``doc_name``, ``page_no``, ``kind``.
        names (Sequence[str]): File names of the pages.
        version (int): Format version written to ``info``.

    Returns:
        dict: The COCO dict.
    """
    images, annotations = [], []
    ann_id = 1
    for (index, info, anns), name in zip(records, names):
        img_id = index + 1
        W, H = info['width'], info['height']
        images.append(dict(
            id=img_id, file_name=name, width=W, height=H,
            doc_category=info['doc_category'], collection=COLLECTION,
            doc_name=info['doc_name'], page_no=info['page_no'],
            page_kind=info['kind'], precedence=0))
        page_anns = []
        for a in anns:
            x, y, w, h = a['bbox']
            seg = list(map(float, a['segmentation'][0]))
            x0, y0, x1, y1 = x, y, x + w, y + h
            if split == 'train' and (x0 <= 0 or y0 <= 0 or x1 >= W
                                     or y1 >= H):
                o = EDGE_OVERSHOOT
                x0 = -o if x0 <= 0 else x0
                y0 = -o if y0 <= 0 else y0
                x1 = W + o if x1 >= W else x1
                y1 = H + o if y1 >= H else y1
                seg = _rect(x0, y0, x1, y1)
            page_anns.append(dict(
                id=0, image_id=img_id,
                category_id=CATEGORY_IDS[a['category']],
                bbox=[round(float(v), 2) for v in (x0, y0, x1 - x0,
                                                   y1 - y0)],
                segmentation=[[round(v, 2) for v in seg]],
                area=round(polygon_area(seg), 2), iscrowd=0,
                precedence=0))
        if split == 'train' and page_anns and index % DUP_EVERY == 0:
            # DocLayNet quirk: redundant copies from other annotators.
            k = (index // DUP_EVERY) % len(page_anns)
            page_anns.append(dict(page_anns[k], precedence=1))
            if index % (2 * DUP_EVERY) == 0:
                page_anns.append(dict(page_anns[k], precedence=2))
        for a in page_anns:
            a['id'] = ann_id
            ann_id += 1
        annotations += page_anns
    categories = [dict(id=CATEGORY_IDS[n], name=n, supercategory=n)
                  for n in DOCLAYNET_CLASSES]
    return dict(
        info=dict(description='docseg_mm synthetic demo pages in DocLayNet '
                  'format', version=str(version)),
        licenses=[], images=images, annotations=annotations,
        categories=categories)
