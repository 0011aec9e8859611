# Copyright (c) docseg_mm contributors. All rights reserved.
"""PDF pages for the inferencer: rendering, coordinates and the text layer.

Pages are rendered with PDFium through ``pypdfium2`` (Apache-2.0 / BSD).
:class:`PdfPageInfo` maps rendered pixels to PDF user-space points (origin
at the bottom left, y up, the space of the page's content and text layer)
with the affine map PDFium itself uses for rendering
(``FPDF_DeviceToPage``), so crop boxes with an offset and rotated pages
(``/Rotate``) come out right. :class:`PdfTextLayer` holds the characters of
a born-digital page with their boxes; :meth:`PdfTextLayer.text_in_box`
returns the text whose characters have their centre inside a box.
"""
import ctypes
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

#: Largest rendered page (pixels); larger pages are refused with a message
#: asking for a lower ``dpi``.
MAX_PIXELS = 12000 * 12000


class PdfPageError(RuntimeError):
    """A PDF or one of its pages cannot be rendered."""


def _pdfium():
    import pypdfium2 as pdfium
    return pdfium


def open_pdf(path: str):
    """Open a PDF with PDFium.

    Raises:
        PdfPageError: With the reason (encrypted, broken, unreadable).
    """
    pdfium = _pdfium()
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as e:
        msg = str(e)
        if 'password' in msg.lower():
            raise PdfPageError('encrypted PDF (a password is needed to open '
                               'it): ' + msg) from None
        raise PdfPageError(f'cannot open the PDF (broken or not a PDF): '
                           f'{msg}') from None
    except OSError as e:
        raise PdfPageError(f'cannot read the file: {e}') from None


def count_pdf_pages(path: str) -> int:
    """Number of pages of a PDF (raises :class:`PdfPageError`)."""
    pdf = open_pdf(path)
    try:
        return len(pdf)
    finally:
        pdf.close()


@dataclass
class PdfTextLayer:
    """Characters of a page and their boxes (PDF user space).

    Attributes:
        chars (str): The page text in PDFium's reading order, one entry per
            character index (generated spaces and line breaks included).
        boxes (np.ndarray): ``(N, 4)`` ``left, bottom, right, top``.
    """
    chars: str = ''
    boxes: np.ndarray = field(
        default_factory=lambda: np.zeros((0, 4), np.float64))

    def __bool__(self) -> bool:
        return bool(self.chars.strip())

    def select(self, box: Sequence[float]) -> np.ndarray:
        """Characters inside ``box``.

        A character is inside when its vertical centre lies inside the box
        and it overlaps the box horizontally (half of the next text line is
        not taken); words are atomic: a word is taken whole when at least
        half of its characters are inside, else not at all (a box that
        clips the first letters of a line still gets whole words).

        Args:
            box (Sequence[float]): ``x0, y0, x1, y1`` in PDF user space (any
                corner order).

        Returns:
            np.ndarray: ``(N, )`` bool.
        """
        x0, x1 = sorted((box[0], box[2]))
        y0, y1 = sorted((box[1], box[3]))
        left = np.minimum(self.boxes[:, 0], self.boxes[:, 2])
        right = np.maximum(self.boxes[:, 0], self.boxes[:, 2])
        cy = (self.boxes[:, 1] + self.boxes[:, 3]) / 2
        inside = (right >= x0) & (left <= x1) & (cy >= y0) & (cy <= y1)
        # words are atomic: kept whole when most of their letters are in
        words = self._word_ids()
        solid = words >= 0
        hits = np.bincount(words[solid], weights=inside[solid],
                           minlength=words.max(initial=-1) + 1)
        sizes = np.bincount(words[solid], minlength=len(hits))
        whole = hits >= 0.5 * np.maximum(sizes, 1)
        inside[solid] = whole[words[solid]]
        return inside

    def _word_ids(self) -> np.ndarray:
        """Word index of every character (-1 for whitespace); a line-end
        hyphen (U+FFFE) ends its word."""
        if getattr(self, '_words', None) is None:
            space = np.array([c.isspace() for c in self.chars], bool)
            hyphen = np.array([c == '\ufffe' for c in self.chars], bool)
            starts = ~space & np.concatenate(
                [[True], space[:-1] | hyphen[:-1]])
            ids = np.cumsum(starts) - 1
            ids[space] = -1
            self._words = ids
        return self._words

    def text_in_box(self, box: Sequence[float]) -> str:
        """Text of the characters inside ``box`` (see :meth:`select`).

        Runs of selected characters are joined in PDFium's reading order by
        a line break when a line break was left out between them, else by a
        space; PDFium's mark of a line-end hyphen (U+FFFE) becomes ``-``.

        Args:
            box (Sequence[float]): ``x0, y0, x1, y1`` in PDF user space.

        Returns:
            str: The text, one line per text line, spaces collapsed.
        """
        if not len(self.chars):
            return ''
        keep = self.select(box)
        parts, gap = [], ''
        for char, inside in zip(self.chars, keep):
            if inside:
                if gap:
                    parts.append('\n' if ('\n' in gap or '\r' in gap
                                           or parts[-1] == '\ufffe')
                                 else ' ')
                    gap = ''
                parts.append(char)
            elif parts:
                gap += char
        text = ''.join(parts).replace('\ufffe', '-\n')
        text = text.replace('\r\n', '\n').replace('\r', '\n')
        lines = [' '.join(line.split()) for line in text.split('\n')]
        return '\n'.join(line for line in lines if line)


def read_text_layer(page) -> PdfTextLayer:
    """Characters and boxes of an open ``pypdfium2.PdfPage``."""
    textpage = page.get_textpage()
    try:
        num = textpage.count_chars()
        if num <= 0:
            return PdfTextLayer()
        chars = textpage.get_text_range(0, num)
        if len(chars) != num:  # characters outside the BMP
            chars = ''.join(
                (textpage.get_text_range(i, 1) or ' ')[:1]
                for i in range(num))
        boxes = np.array([textpage.get_charbox(i) for i in range(num)],
                         np.float64).reshape(-1, 4)
        return PdfTextLayer(chars, boxes)
    finally:
        textpage.close()


@dataclass
class PdfPageInfo:
    """Geometry of a rendered PDF page.

    Attributes:
        page (int): 1-based page number.
        dpi (float): Rendering resolution.
        size (tuple): Rendered ``(width, height)`` in pixels.
        page_size (tuple): Page ``(width, height)`` in points as shown
            (after ``/Rotate``).
        rotation (int): The page's ``/Rotate`` (degrees clockwise).
        affine (np.ndarray): ``(2, 3)`` map of pixel ``(x, y, 1)`` to PDF
            user-space ``(x, y)`` points.
    """
    page: int
    dpi: float
    size: Tuple[int, int]
    page_size: Tuple[float, float]
    rotation: int
    affine: np.ndarray

    def to_pdf(self, points: np.ndarray) -> np.ndarray:
        """Map ``(N, 2)`` pixel coordinates to PDF points."""
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        return pts @ self.affine[:, :2].T + self.affine[:, 2]

    def box_to_pdf(self, box: Sequence[float]) -> List[float]:
        """Pixel box ``x0, y0, x1, y1`` (pixel edges) to a PDF box
        ``[left, bottom, right, top]`` in points."""
        x0, y0, x1, y1 = box
        pts = self.to_pdf([[x0, y0], [x1, y0], [x0, y1], [x1, y1]])
        return [float(pts[:, 0].min()), float(pts[:, 1].min()),
                float(pts[:, 0].max()), float(pts[:, 1].max())]

    def to_dict(self) -> Dict:
        """JSON-friendly description (coordinates convention included)."""
        return dict(
            page=self.page, dpi=self.dpi,
            page_width_pt=round(self.page_size[0], 3),
            page_height_pt=round(self.page_size[1], 3),
            rotation=self.rotation,
            pixel_to_pdf=self.affine.round(8).tolist(),
            pdf_coordinates='PDF user space in points: origin bottom-left, '
            'y up; pdf_bbox = [left, bottom, right, top]')


def _device_to_page(page, width: int, height: int, x: int,
                    y: int) -> Tuple[float, float]:
    raw = _pdfium().raw
    px, py = ctypes.c_double(), ctypes.c_double()
    ok = raw.FPDF_DeviceToPage(page, 0, 0, width, height, 0, x, y,
                               ctypes.byref(px), ctypes.byref(py))
    if not ok:
        raise PdfPageError('PDFium could not map device coordinates')
    return px.value, py.value


def page_affine(page, width: int, height: int) -> np.ndarray:
    """PDFium's pixel -> PDF point map of a ``width x height`` rendering.

    Three corners of the bitmap are mapped with ``FPDF_DeviceToPage``
    (integers, exact); the map is affine, so they determine it.
    """
    o = np.array(_device_to_page(page, width, height, 0, 0))
    ex = np.array(_device_to_page(page, width, height, width, 0)) - o
    ey = np.array(_device_to_page(page, width, height, 0, height)) - o
    return np.stack([ex / width, ey / height, o], axis=1)


class PdfPageReader:
    """Render PDF pages, keeping the last few documents open.

    Args:
        dpi (float): Rendering resolution. Defaults to 150.
        with_text (bool): Also read each page's text layer. Defaults to
            True.
        max_open (int): Documents kept open. Defaults to 2.
    """

    def __init__(self, dpi: float = 150., with_text: bool = True,
                 max_open: int = 2) -> None:
        if dpi <= 0:
            raise ValueError(f'dpi must be positive, got {dpi}')
        self.dpi = float(dpi)
        self.with_text = with_text
        self.max_open = max_open
        self._docs: 'OrderedDict[str, object]' = OrderedDict()

    def _doc(self, path: str):
        if path in self._docs:
            self._docs.move_to_end(path)
            return self._docs[path]
        doc = open_pdf(path)
        self._docs[path] = doc
        while len(self._docs) > self.max_open:
            self._docs.popitem(last=False)[1].close()
        return doc

    def render(self, path: str, page_no: int
               ) -> Tuple[np.ndarray, PdfPageInfo, Optional[PdfTextLayer]]:
        """Render a page as a BGR ``uint8`` image.

        Args:
            path (str): PDF file.
            page_no (int): 1-based page number.

        Returns:
            tuple: image ``(H, W, 3)``, :class:`PdfPageInfo` and the text
            layer (None when ``with_text`` is off).

        Raises:
            PdfPageError: Broken/encrypted file, missing, zero-size or too
                large page, rendering failure.
        """
        doc = self._doc(path)
        if not 1 <= page_no <= len(doc):
            raise PdfPageError(f'page {page_no} requested but the PDF has '
                               f'{len(doc)} page(s)')
        page = doc[page_no - 1]
        try:
            left, bottom, right, top = page.get_cropbox()
            if right - left <= 0 or top - bottom <= 0:
                raise PdfPageError(
                    'zero-size page (crop box '
                    f'[{left:g} {bottom:g} {right:g} {top:g}])')
            width_pt, height_pt = page.get_size()
            scale = self.dpi / 72.0
            if width_pt * height_pt * scale * scale > MAX_PIXELS:
                raise PdfPageError(
                    f'page of {width_pt:.0f} x {height_pt:.0f} pt is too '
                    f'large to render at {self.dpi:g} dpi; lower --dpi')
            try:
                bitmap = page.render(scale=scale, may_draw_forms=False)
                img = np.ascontiguousarray(bitmap.to_numpy()[..., :3])
            except Exception as e:  # PdfiumError, MemoryError
                raise PdfPageError(f'rendering failed: {e}') from None
            h, w = img.shape[:2]
            if min(h, w) < 2:
                raise PdfPageError(f'zero-size page: renders to {w} x {h} '
                                   f'px at {self.dpi:g} dpi')
            info = PdfPageInfo(page_no, self.dpi, (w, h),
                               (float(width_pt), float(height_pt)),
                               int(page.get_rotation()),
                               page_affine(page, w, h))
            text = read_text_layer(page) if self.with_text else None
            return img, info, text
        finally:
            page.close()

    def close(self) -> None:
        """Close every open document."""
        while self._docs:
            self._docs.popitem()[1].close()
