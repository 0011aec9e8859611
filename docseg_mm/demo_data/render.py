# Copyright (c) docseg_mm contributors. All rights reserved.
"""Rasterise the PDF pages with PDFium and turn the composer's element boxes
(points) into tight pixel boxes around each element's ink."""
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .page import Page

#: A channel must differ this much from the element's background to count
#: as ink.
INK_DELTA = 40
#: Width (pixels) of the ring around a box that gives its paper colour.
RING = 2
#: Smallest side (pixels) of a kept element box.
MIN_SIDE = 2


def open_pdf(data: bytes):
    """A ``pypdfium2.PdfDocument`` of PDF bytes."""
    import pypdfium2 as pdfium
    return pdfium.PdfDocument(data)


def render_page(pdf, index: int, dpi: float) -> np.ndarray:
    """Page ``index`` of an open PDF as a BGR ``uint8`` image."""
    page = pdf[index]
    bitmap = page.render(scale=dpi / 72.0, may_draw_forms=False)
    img = bitmap.to_numpy()
    out = np.ascontiguousarray(img[..., :3])
    page.close()
    return out


def render_region(pdf, index: int, box: Sequence[float],
                  dpi: float) -> np.ndarray:
    """Render only ``box`` (points, top-left frame) of a page, BGR."""
    page = pdf[index]
    W, H = page.get_size()
    x0, y0, x1, y1 = box
    crop = (max(0.0, x0), max(0.0, H - y1), max(0.0, W - x1), max(0.0, y0))
    bitmap = page.render(scale=dpi / 72.0, crop=crop, may_draw_forms=False)
    out = np.ascontiguousarray(bitmap.to_numpy()[..., :3])
    page.close()
    return out


def _background(img: np.ndarray, x0: int, y0: int, x1: int,
                y1: int) -> np.ndarray:
    """Paper colour around a box: the median of a ring of pixels just
    outside it (white on a white page, the bar colour behind white slide
    titles), or of the box's own border at the image edge."""
    H, W = img.shape[:2]
    r = RING
    ring = [img[max(0, y0 - r):y0, max(0, x0 - r):x1 + r],
            img[y1:y1 + r, max(0, x0 - r):x1 + r],
            img[y0:y1, max(0, x0 - r):x0], img[y0:y1, x1:x1 + r]]
    px = np.concatenate([p.reshape(-1, img.shape[2]) for p in ring])
    if len(px) < 8:
        region = img[y0:y1, x0:x1]
        px = np.concatenate([region[0], region[-1], region[:, 0],
                             region[:, -1]])
    return np.median(px.astype(np.int16), axis=0)


def tighten(img: np.ndarray, box: Sequence[float]
            ) -> Tuple[float, float, float, float]:
    """Shrink a pixel box to the ink inside it.

    Ink is what differs by more than :data:`INK_DELTA` in some channel from
    the box's background (see :func:`_background`).

    Returns:
        tuple: ``(x0, y0, x1, y1)`` in pixels, or an empty tuple when the
        box holds no ink.
    """
    H, W = img.shape[:2]
    x0 = int(np.clip(np.floor(box[0]), 0, W))
    y0 = int(np.clip(np.floor(box[1]), 0, H))
    x1 = int(np.clip(np.ceil(box[2]), 0, W))
    y1 = int(np.clip(np.ceil(box[3]), 0, H))
    if x1 - x0 < 1 or y1 - y0 < 1:
        return ()
    region = img[y0:y1, x0:x1]
    bg = _background(img, x0, y0, x1, y1)
    ink = (np.abs(region.astype(np.int16) - bg) > INK_DELTA).any(axis=2)
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return ()
    return (float(x0 + cols[0]), float(y0 + rows[0]), float(x0 + cols[-1] +
                                                            1),
            float(y0 + rows[-1] + 1))


def page_annotations(img: np.ndarray, page: Page,
                     dpi: float) -> List[Dict]:
    """Pixel annotations ``dict(category, bbox, segmentation)`` of a page.

    Picture boxes of embedded photographs keep the image rectangle; all
    other boxes are tightened to their ink; boxes without ink or thinner
    than :data:`MIN_SIDE` are dropped.
    """
    s = dpi / 72.0
    out = []
    for el in page.elements:
        b = [v * s for v in el['box']]
        if el['category'] == 'Picture' and el.get('photo'):
            H, W = img.shape[:2]
            t = (max(0.0, round(b[0])), max(0.0, round(b[1])),
                 min(float(W), round(b[2])), min(float(H), round(b[3])))
        else:
            t = tighten(img, b)
        if not t or t[2] - t[0] < MIN_SIDE or t[3] - t[1] < MIN_SIDE:
            continue
        x0, y0, x1, y1 = t
        out.append(dict(category=el['category'],
                        bbox=[x0, y0, x1 - x0, y1 - y0],
                        segmentation=[[x0, y0, x1, y0, x1, y1, x0, y1]]))
    return out
