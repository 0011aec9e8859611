# Copyright (c) docseg_mm contributors. All rights reserved.
"""A small COCO page set with one of each data fault, for the dataset check.

Every page is a plain 60x40 (w x h) image; the faults are made here, in
the files and in the json, so a test states what must be found. Writer
only: the expected findings belong in the tests.
"""
import io
import json
import os
import os.path as osp
from typing import Dict

import numpy as np
from PIL import Image

PAGE_W, PAGE_H = 60, 40
#: File name of each page, by the fault it carries.
BROKEN_FILES = dict(
    good='good.png',
    truncated='truncated.png',
    missing='missing.png',
    wrong_size='wrong_size.png',
    exif180='exif180.jpg',
    exif90='exif90.jpg',
    dup_a='dup_a.png',
    dup_b='dup_b.png',
)


def _page(seed: int, w: int = PAGE_W, h: int = PAGE_H) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, (h, w, 3), dtype=np.uint8)


def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format='PNG')
    return buf.getvalue()


def _jpeg_with_orientation(arr: np.ndarray, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format='JPEG', exif=exif.tobytes())
    return buf.getvalue()


def write_broken_coco(root: str) -> Dict[str, object]:
    """Write ``root/images/*`` and ``root/ann.json``.

    Image ids (file): 1 good, 2 truncated (PNG cut in half), 3 missing (not
    written), 4 wrong_size (stored 50 wide, json says 60), 5 exif180 (EXIF
    orientation 3), 6 exif90 (orientation 6, annotated in the stored
    frame), 7 dup_a and 8 dup_b (the same bytes), 9 good.png again.
    Annotations on image 1: id 101 fine, 102 zero-width box, 103 box
    outside the page, 104 polygon of two points, 105 RLE sized 20x20, 106
    box reaching past the right edge (clipped).

    Args:
        root (str): An empty folder.

    Returns:
        dict: ``ann_file`` and ``img_dir`` (absolute).
    """
    img_dir = osp.join(root, 'images')
    os.makedirs(img_dir, exist_ok=True)
    files = BROKEN_FILES
    contents = {
        'good': _png(_page(0)),
        'truncated': _png(_page(1))[:200],
        'wrong_size': _png(_page(2, w=50)),
        'exif180': _jpeg_with_orientation(_page(3), 3),
        'exif90': _jpeg_with_orientation(_page(4), 6),
        'dup_a': _png(_page(5)),
    }
    contents['dup_b'] = contents['dup_a']
    for key, data in contents.items():
        with open(osp.join(img_dir, files[key]), 'wb') as f:
            f.write(data)
    order = ['good', 'truncated', 'missing', 'wrong_size', 'exif180',
             'exif90', 'dup_a', 'dup_b', 'good']
    images = [dict(id=i + 1, file_name=files[k], width=PAGE_W, height=PAGE_H)
              for i, k in enumerate(order)]

    def ann(ann_id: int, bbox: list, **kw) -> dict:
        return dict(id=ann_id, image_id=1, category_id=1, bbox=bbox,
                    area=float(bbox[2] * bbox[3]) or 1.0, iscrowd=0, **kw)

    anns = [
        ann(101, [5, 5, 20, 10], segmentation=[[5, 5, 25, 5, 25, 15, 5, 15]]),
        ann(102, [5, 5, 0, 10]),
        ann(103, [100, 100, 10, 10]),
        ann(104, [5, 5, 10, 10], segmentation=[[5, 5, 15, 15]]),
        ann(105, [5, 5, 10, 10], segmentation=dict(size=[20, 20],
                                                   counts=[0, 400])),
        ann(106, [50, 20, 30, 10]),
    ]
    anns += [dict(id=200 + i, image_id=i, category_id=1, bbox=[2, 2, 8, 8],
                  area=64.0, iscrowd=0) for i in range(2, 10)]
    ann_file = osp.join(root, 'ann.json')
    with open(ann_file, 'w') as f:
        json.dump(dict(images=images, annotations=anns,
                       categories=[dict(id=1, name='text')]), f)
    return dict(ann_file=ann_file, img_dir=img_dir)
