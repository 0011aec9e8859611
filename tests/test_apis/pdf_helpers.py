# Copyright (c) docseg_mm contributors. All rights reserved.
"""A 3-page test PDF with known text and known drawn blocks (ReportLab).

All coordinates are PDF user space in points (origin bottom-left, y up),
as written to the PDF.

* page 1, A4: a light-grey block :data:`BLOCK` holding the two lines
  :data:`BLOCK_LINES`; a black rectangle ``RECTS[1]``; a hyphenated
  two-line paragraph inside :data:`HYPHEN_BOX`; the words
  :data:`OUTSIDE_TEXT` away from the blocks.
* page 2, US letter with ``/Rotate 90``: a black rectangle ``RECTS[2]``.
* page 3, A5 with a crop box :data:`CROP_BOX` that does not start at the
  origin: a black rectangle ``RECTS[3]``.
"""
import io
from typing import Optional

BLOCK = (72.0, 600.0, 300.0, 700.0)
BLOCK_LINES = ('Known block text', 'second line here')
BLOCK_GREY = 0.85
HYPHEN_BOX = (340.0, 560.0, 520.0, 610.0)
HYPHEN_LINES = ('an exam- ple of hyphen-', 'ated words')
OUTSIDE_TEXT = 'Outside words'
RECTS = {
    1: (350.0, 300.0, 500.0, 360.0),
    2: (50.0, 100.0, 170.0, 160.0),
    3: (100.0, 200.0, 250.0, 300.0),
}
CROP_BOX = (20.0, 30.0, 400.0, 560.0)


def make_test_pdf(path: Optional[str] = None) -> bytes:
    """Write the test PDF (to ``path`` if given) and return its bytes."""
    from reportlab.lib.pagesizes import A4, A5, letter
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    x0, y0, x1, y1 = BLOCK
    c.setFillGray(BLOCK_GREY)
    c.rect(x0, y0, x1 - x0, y1 - y0, stroke=0, fill=1)
    c.setFillGray(0)
    c.setFont('Helvetica', 14)
    c.drawString(x0 + 10, y1 - 30, BLOCK_LINES[0])
    c.drawString(x0 + 10, y1 - 55, BLOCK_LINES[1])
    c.setFont('Helvetica', 12)
    c.drawString(HYPHEN_BOX[0] + 5, HYPHEN_BOX[3] - 18, HYPHEN_LINES[0])
    c.drawString(HYPHEN_BOX[0] + 5, HYPHEN_BOX[3] - 38, HYPHEN_LINES[1])
    c.drawString(72, 150, OUTSIDE_TEXT)
    _rect(c, RECTS[1])
    c.showPage()
    c.setPageSize(letter)
    c.setPageRotation(90)
    _rect(c, RECTS[2])
    c.showPage()
    c.setPageSize(A5)
    c.setPageRotation(0)
    c.setCropBox(CROP_BOX)
    _rect(c, RECTS[3])
    c.showPage()
    c.save()
    data = buf.getvalue()
    if path is not None:
        with open(path, 'wb') as f:
            f.write(data)
    return data


def _rect(c, box) -> None:
    c.setFillGray(0)
    c.rect(box[0], box[1], box[2] - box[0], box[3] - box[1], stroke=0,
           fill=1)


def make_encrypted_pdf(path: str) -> None:
    """A one-page PDF that needs a user password."""
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas
    c = canvas.Canvas(path, encrypt=pdfencrypt.StandardEncryption('secret'))
    c.drawString(100, 700, 'locked')
    c.showPage()
    c.save()


def make_zero_size_pdf(path: str) -> None:
    """A two-page PDF whose first page has an empty crop box."""
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument.new()
    doc.new_page(0, 300)
    doc.new_page(200, 300)
    doc.save(path)
    doc.close()
