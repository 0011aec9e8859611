# Copyright (c) docseg_mm contributors. All rights reserved.
"""A page under construction (drawing operations, labelled elements, set
words) and its output as a PDF page through ReportLab.

Coordinates are PDF points with the origin at the top-left corner, y down;
:func:`write_pdf` flips them for ReportLab.
"""
import io
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .fonts import vmetrics
from .typeset import Placed

Box = List[float]
Color = Tuple[float, float, float]
BLACK: Color = (0.0, 0.0, 0.0)


class Page:
    """Drawing operations, elements and words of one page.

    Args:
        width (float): Page width in points.
        height (float): Page height in points.
    """

    def __init__(self, width: float, height: float) -> None:
        self.width = width
        self.height = height
        self.ops: List[tuple] = []
        #: ``dict(category, box)``; boxes ``[x0, y0, x1, y1]`` in points.
        self.elements: List[dict] = []
        #: ``dict(text, box, font, size)`` of every set word.
        self.words: List[dict] = []

    def text(self, placed: Sequence[Placed], y: float, size: float,
             color: Color = BLACK) -> Box:
        """Set the words of one line on baseline ``y``; returns its box."""
        asc, desc = vmetrics(size)
        x0, x1 = 1e9, -1e9
        for text, fc, x, w in placed:
            if not text:
                continue
            self.ops.append(('text', fc.name, size, x, y, text, color))
            # one word record per space-separated word (table cells, labels)
            start = 0
            for part in text.split(' '):
                if part:
                    px = x + fc.width(text[:start], size)
                    pw = fc.width(part, size)
                    self.words.append(
                        dict(text=part, box=[px, y - asc, px + pw, y + desc],
                             font=fc.name, size=size))
                start += len(part) + 1
            x0, x1 = min(x0, x), max(x1, x + w)
        return [x0, y - asc, x1, y + desc]

    def text_or_math(self, placed: Sequence[Placed], y: float, size: float,
                     color: Color = BLACK) -> Box:
        """Like :meth:`text`, drawing inline formulas (tokens whose face
        is a :class:`~.formulas.MathFace`) with mathtext."""
        from .formulas import draw, typeset
        boxes = []
        normal = [p for p in placed if not getattr(p[1], 'is_math', False)]
        if normal:
            boxes.append(self.text(normal, y, size, color))
        for text, fc, x, _ in placed:
            if getattr(fc, 'is_math', False):
                boxes.append(draw(self, typeset(text, round(size, 2),
                                                fc.fontset), x, y))
        return union(boxes)

    def glyph(self, font: str, size: float, x: float, y: float, char: str,
              color: Color = BLACK) -> None:
        """One glyph (formulas); not recorded as a word."""
        self.ops.append(('text', font, size, x, y, char, color))

    def line(self, x0: float, y0: float, x1: float, y1: float,
             lw: float = 0.5, color: Color = BLACK) -> None:
        self.ops.append(('line', x0, y0, x1, y1, lw, color))

    def rect(self, x0: float, y0: float, x1: float, y1: float,
             fill: Optional[Color] = None, stroke: Optional[Color] = None,
             lw: float = 0.5) -> None:
        self.ops.append(('rect', x0, y0, x1, y1, fill, stroke, lw))

    def circle(self, cx: float, cy: float, r: float,
               color: Color = BLACK) -> None:
        self.ops.append(('circle', cx, cy, r, color))

    def image(self, img: np.ndarray, x0: float, y0: float, x1: float,
              y1: float) -> None:
        """An RGB ``uint8`` image stretched over the box."""
        self.ops.append(('image', img, x0, y0, x1, y1))

    def element(self, category: str, box: Box, **extra) -> None:
        """Label a region (tightened to its ink after rendering)."""
        self.elements.append(dict(category=category, box=list(box), **extra))


def union(boxes: Sequence[Box]) -> Box:
    """Smallest box holding all ``boxes``."""
    b = np.asarray(boxes, float)
    return [b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()]


def _draw(c, page: Page) -> None:
    from reportlab.lib.utils import ImageReader
    H = page.height
    for op in page.ops:
        kind = op[0]
        if kind == 'text':
            _, font, size, x, y, text, color = op
            c.setFillColorRGB(*color)
            c.setFont(font, size)
            c.drawString(x, H - y, text)
        elif kind == 'line':
            _, x0, y0, x1, y1, lw, color = op
            c.setStrokeColorRGB(*color)
            c.setLineWidth(lw)
            c.line(x0, H - y0, x1, H - y1)
        elif kind == 'rect':
            _, x0, y0, x1, y1, fill, stroke, lw = op
            if fill is not None:
                c.setFillColorRGB(*fill)
            if stroke is not None:
                c.setStrokeColorRGB(*stroke)
                c.setLineWidth(lw)
            c.rect(x0, H - y1, x1 - x0, y1 - y0, stroke=stroke is not None,
                   fill=fill is not None)
        elif kind == 'circle':
            _, cx, cy, r, color = op
            c.setFillColorRGB(*color)
            c.circle(cx, H - cy, r, stroke=0, fill=1)
        elif kind == 'image':
            from PIL import Image
            _, img, x0, y0, x1, y1 = op
            c.drawImage(ImageReader(Image.fromarray(img)), x0, H - y1,
                        x1 - x0, y1 - y0)


def write_pdf(pages: Sequence[Page], title: str = '') -> bytes:
    """A PDF document of the pages (deterministic bytes)."""
    from reportlab import rl_config
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    # Binary (not ASCII85) image streams: ReportLab's pure-Python ASCII85
    # encoder took a third of the time.
    a85, rl_config.useA85 = rl_config.useA85, 0
    try:
        c = canvas.Canvas(buf, invariant=1, pageCompression=1)
        c.setTitle(title)
        c.setCreator('docseg_mm.demo_data')
        for page in pages:
            c.setPageSize((page.width, page.height))
            _draw(c, page)
            c.showPage()
        c.save()
    finally:
        rl_config.useA85 = a85
    return buf.getvalue()
