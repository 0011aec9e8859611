# Copyright (c) docseg_mm contributors. All rights reserved.
import cv2
import numpy as np
import pytest

from docseg_mm.apis.pdf_pages import (PdfPageError, PdfPageReader,
                                      PdfTextLayer, count_pdf_pages)
from .pdf_helpers import (BLOCK, BLOCK_LINES, HYPHEN_BOX, OUTSIDE_TEXT,
                          RECTS, make_encrypted_pdf, make_test_pdf,
                          make_zero_size_pdf)

DPI = 100.


@pytest.fixture(scope='module')
def pdf(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp('pdf') / 'doc.pdf')
    make_test_pdf(path)
    return path


def black_box(img: np.ndarray):
    """Pixel box (edges) of the largest black component, found from the
    rendered pixels alone."""
    dark = (img.max(axis=2) < 128).astype(np.uint8)
    num, _, stats, _ = cv2.connectedComponentsWithStats(dark)
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h = stats[k, :4]
    return [float(x), float(y), float(x + w), float(y + h)]


@pytest.mark.parametrize('page', [1, 2, 3])
def test_drawn_box_maps_back_to_its_pdf_coordinates(pdf, page):
    # page 1: plain A4; page 2: /Rotate 90; page 3: crop box not at 0, 0
    reader = PdfPageReader(dpi=DPI)
    img, info, _ = reader.render(pdf, page)
    reader.close()
    got = info.box_to_pdf(black_box(img))
    # one rendered pixel is 72 / dpi points
    np.testing.assert_allclose(got, RECTS[page], atol=72. / DPI + 1e-3)


def test_page_geometry(pdf):
    reader = PdfPageReader(dpi=DPI)
    img, info, _ = reader.render(pdf, 2)
    assert info.rotation == 90
    # letter shown rotated: 612 x 792 points, width first
    assert info.page_size == pytest.approx((612., 792.))
    assert img.shape[:2] == (round(792 * DPI / 72), round(612 * DPI / 72))
    img3, info3, _ = reader.render(pdf, 3)
    # the crop box (20, 30, 400, 560) is what is rendered
    assert info3.page_size == pytest.approx((380., 530.))
    np.testing.assert_allclose(info3.to_pdf([[0, 0]]), [[20., 560.]],
                               atol=1e-3)
    assert info.to_dict()['rotation'] == 90
    reader.close()


def test_text_inside_a_box(pdf):
    reader = PdfPageReader(dpi=DPI)
    _, _, text = reader.render(pdf, 1)
    assert text.text_in_box(BLOCK) == '\n'.join(BLOCK_LINES)
    # PDFium marks the hyphen at the end of the first line (U+FFFE)
    assert text.text_in_box(HYPHEN_BOX) == \
        'an exam- ple of hyphen-\nated words'
    # corners in any order; the outside words are not in the block
    x0, y0, x1, y1 = BLOCK
    assert text.text_in_box((x1, y1, x0, y0)) == '\n'.join(BLOCK_LINES)
    assert text.text_in_box((60, 140, 200, 170)) == OUTSIDE_TEXT
    # a box cutting the first letter of a line keeps whole words, a box
    # holding the upper half of the block keeps only its first line
    assert text.text_in_box((x0 + 12, y0, x1, y1)) == '\n'.join(BLOCK_LINES)
    assert text.text_in_box((x0, y1 - 40, x1, y1)) == BLOCK_LINES[0]
    assert text.text_in_box((400, 400, 500, 450)) == ''
    _, _, none = reader.render(pdf, 2)
    assert not none and none.text_in_box((0, 0, 1e4, 1e4)) == ''
    reader.close()


def test_text_layer_rules():
    # hand-made layer: two lines of two words; the line break is generated
    chars = 'ab cd\r\nef gh'
    boxes = []
    for i, c in enumerate(chars):
        line = 0 if i < 5 else 1
        x = (i if line == 0 else i - 7) * 10.
        y = 100. - 20 * line
        w = 0. if c.isspace() else 8.
        boxes.append([x, y, x + w, y + 10])
    layer = PdfTextLayer(chars, np.array(boxes))
    assert layer.text_in_box((0, 75, 60, 115)) == 'ab cd\nef gh'
    # 'ab' clipped by half a letter is kept whole, 'cd' out of the box
    assert layer.text_in_box((5, 95, 19, 115)) == 'ab'
    # 'c' spans 30-38, 'd' 40-48: a box from 39.5 overlaps one of the two
    # letters (half: kept), a box from 48.5 none
    assert layer.text_in_box((39.5, 95, 60, 115)) == 'cd'
    assert layer.text_in_box((48.5, 95, 60, 115)) == ''
    # 'abc' with only 'c' inside (a third) is dropped
    three = PdfTextLayer('abc', np.array([[0, 0, 8, 10], [10, 0, 18, 10],
                                          [20, 0, 28, 10]], float))
    assert three.text_in_box((19, -1, 40, 11)) == ''
    assert three.text_in_box((9, -1, 40, 11)) == 'abc'
    assert layer.text_in_box((0, 70, 60, 89)) == 'ef gh'


def test_bad_pdfs(tmp_path):
    locked = str(tmp_path / 'locked.pdf')
    make_encrypted_pdf(locked)
    with pytest.raises(PdfPageError, match='encrypted PDF'):
        count_pdf_pages(locked)
    (tmp_path / 'cut.pdf').write_bytes(make_test_pdf()[:300])
    with pytest.raises(PdfPageError, match='broken or not a PDF'):
        count_pdf_pages(str(tmp_path / 'cut.pdf'))
    zero = str(tmp_path / 'zero.pdf')
    make_zero_size_pdf(zero)
    reader = PdfPageReader(dpi=DPI)
    with pytest.raises(PdfPageError, match='zero-size page'):
        reader.render(zero, 1)
    img, _, _ = reader.render(zero, 2)  # the next page is fine
    assert img.shape[:2] == (round(300 * DPI / 72), round(200 * DPI / 72))
    with pytest.raises(PdfPageError, match='page 3 requested'):
        reader.render(zero, 3)
    reader.close()
