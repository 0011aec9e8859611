# Copyright (c) docseg_mm contributors. All rights reserved.
"""Label truth of typeset pages, checked against the rendered pixels and the
PDF's own text layer (PDFium), not against the composer's bookkeeping."""
import cv2
import numpy as np
import pytest

from docseg_mm.demo_data import DOCLAYNET_CLASSES, PAGE_TYPES
from docseg_mm.demo_data.generator import render_document

TEXT_CLASSES = ('Caption', 'Footnote', 'List-item', 'Page-footer',
                'Page-header', 'Section-header', 'Text', 'Title')
DPI = 96


@pytest.fixture(scope='module')
def docs():
    """One 2-page document per page type (seed 11)."""
    out = []
    for t in PAGE_TYPES:
        d = render_document(11, 'train', 0, 2, page_type=t, dpi=DPI)
        out.append(d)
    yield out
    for d in out:
        d['document'].close()


def _pages(docs):
    for d in docs:
        for i, (img, anns) in enumerate(zip(d['images'], d['annotations'])):
            yield d, i, img, anns


def _ink(img):
    return (img.min(axis=2) < 200)


def _pdf_text(d, i, bbox):
    """Characters of the PDF text layer inside a pixel box."""
    page = d['document'][i]
    tp = page.get_textpage()
    H = page.get_size()[1]
    s = 72.0 / DPI
    x, y, w, h = bbox
    text = tp.get_text_bounded(left=x * s, bottom=H - (y + h) * s,
                               right=(x + w) * s, top=H - y * s)
    tp.close()
    page.close()
    return text.strip()


def test_page_size_is_real_paper(docs):
    sizes = {(612.0, 792.0), (595.3, 841.9), (612.0, 1008.0), (419.5, 595.3),
             (498.9, 708.7), (432.0, 648.0), (720.0, 405.0), (720.0, 540.0)}
    for d in docs:
        st = d['style']
        assert (st.width, st.height) in sizes
        for img in d['images']:
            assert img.shape == (round(st.height * DPI / 72),
                                 round(st.width * DPI / 72), 3)


def test_every_box_is_tight_around_ink(docs):
    n = 0
    for d, i, img, anns in _pages(docs):
        assert anns, 'a page without elements'
        ink = np.abs(img.astype(int) - 255).max(axis=2) > 40
        for a in anns:
            assert a['category'] in DOCLAYNET_CLASSES
            x, y, w, h = (int(round(v)) for v in a['bbox'])
            box = ink[y:y + h, x:x + w]
            if a['category'] == 'Picture':
                assert box.mean() > 0.02
                continue
            # tight: ink on each of the four edges of the box
            assert box[0].any() and box[-1].any(), a
            assert box[:, 0].any() and box[:, -1].any(), a
            n += 1
    assert n > 100


def test_text_boxes_hold_pdf_text_pictures_hold_none(docs):
    seen = set()
    for d, i, img, anns in _pages(docs):
        for a in anns:
            text = _pdf_text(d, i, a['bbox'])
            if a['category'] in TEXT_CLASSES + ('Table', ):
                assert any(c.isalnum() for c in text), a
                seen.add(a['category'])
            elif a['category'] == 'Picture':
                # charts, drawings and photos are embedded raster images
                assert not any(c.isalnum() for c in text), (a, text)
                seen.add('Picture')
    assert {'Text', 'Section-header', 'Page-header', 'Picture',
            'Table'} <= seen


def test_unlabelled_ink_is_only_thin_rules(docs):
    """All text and graphics are labelled; what is left are rules (header
    rules, footnote rules, table-free separators) at most 3 px thick."""
    for d, i, img, anns in _pages(docs):
        if d['style'].kind == 'slides':
            continue  # slide title bars are unlabelled decoration
        ink = _ink(img).astype(np.uint8)
        for a in anns:
            x, y, w, h = a['bbox']
            ink[max(0, int(y) - 2):int(y + h) + 3,
                max(0, int(x) - 2):int(x + w) + 3] = 0
        n, _, stats, _ = cv2.connectedComponentsWithStats(ink, 8)
        for k in range(1, n):
            w, h = stats[k, cv2.CC_STAT_WIDTH], stats[k, cv2.CC_STAT_HEIGHT]
            assert min(w, h) <= 3, (d['style'].kind, i, stats[k])


def test_boxes_do_not_overlap(docs):
    for d, i, img, anns in _pages(docs):
        b = [(x, y, x + w, y + h) for x, y, w, h in
             (a['bbox'] for a in anns)]
        for p in range(len(b)):
            for q in range(p + 1, len(b)):
                iw = min(b[p][2], b[q][2]) - max(b[p][0], b[q][0])
                ih = min(b[p][3], b[q][3]) - max(b[p][1], b[q][1])
                if iw <= 0 or ih <= 0:
                    continue
                small = min((b[p][2] - b[p][0]) * (b[p][3] - b[p][1]),
                            (b[q][2] - b[q][0]) * (b[q][3] - b[q][1]))
                assert iw * ih <= 0.05 * small, (anns[p], anns[q])


def test_text_flows_across_columns(docs):
    paper = [d for d in docs if d['style'].columns >= 2]
    assert paper, 'no multi-column document in the fixture'
    for d in paper:
        W = d['images'][0].shape[1]
        for anns in d['annotations']:
            xs = [a['bbox'][0] for a in anns if a['category'] == 'Text']
            # text starts in the left and in the right half of the page
            assert min(xs) < W / 2 < max(xs)


def test_same_arguments_same_bytes():
    a = render_document(5, 'val', 3, 2, dpi=72)
    b = render_document(5, 'val', 3, 2, dpi=72)
    assert a['pdf'] == b['pdf']
    for x, y in zip(a['images'], b['images']):
        assert np.array_equal(x, y)
    assert a['annotations'] == b['annotations']
    c = render_document(6, 'val', 3, 2, dpi=72)
    assert c['pdf'] != a['pdf']
    for d in (a, b, c):
        d['document'].close()


def test_unknown_page_type():
    with pytest.raises(ValueError):
        render_document(0, 'train', 0, 1, page_type='menu')


def test_throughput_floor(tmp_path):
    """Generation is not pathologically slow: everything included, one
    process. About 4-5 pages/s on a quiet core; the floor allows a busy
    shared machine."""
    import docseg_mm.datasets.converters  # noqa: F401 (warm the imports)
    from docseg_mm.demo_data.throughput import measure_throughput
    render_document(0, 'train', 0, 1, dpi=DPI)['document'].close()
    r = measure_throughput(num_pages=4, words_per_page=2,
                           out_dir=str(tmp_path / 'tp'))
    print(f'{r["pages_per_s_per_core"]:.2f} pages/s per core')
    assert r['pages_per_s_per_core'] > 0.25
