# Copyright (c) docseg_mm contributors. All rights reserved.
"""Rendering truth of single synthetic pages (``render_page``)."""
import itertools

import cv2
import numpy as np
import pytest

from docseg_mm.demo_data import (DEFAULT_PAGE_SIZE, DOCLAYNET_CLASSES,
                                 PAGE_TYPES, render_page)
from docseg_mm.demo_data.layout import MIN_BOX_SIDE

W, H = DEFAULT_PAGE_SIZE
PAGES_PER_TYPE = 4
TEXT_LIKE = ('Caption', 'Footnote', 'List-item', 'Page-footer', 'Page-header',
             'Section-header', 'Text', 'Title')


@pytest.fixture(scope='module')
def pages():
    """20 pages, 4 of each page type: ``(page_type, image, annotations)``."""
    out = []
    for t, page_type in enumerate(PAGE_TYPES):
        for i in range(PAGES_PER_TYPE):
            img, anns = render_page(
                np.random.default_rng([2024, t, i]), DEFAULT_PAGE_SIZE,
                page_type)
            out.append((page_type, img, anns))
    return out


def _xyxy(bbox):
    x, y, w, h = bbox
    return x, y, x + w, y + h


def _iou(a, b):
    ax0, ay0, ax1, ay1 = _xyxy(a)
    bx0, by0, bx1, by1 = _xyxy(b)
    iw = max(0.0, min(ax1, bx1) - max(ax0, bx0))
    ih = max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def _paper(img):
    return np.median(img.min(axis=2))


def test_image_and_annotation_format(pages):
    for _, img, anns in pages:
        assert img.shape == (H, W, 3) and img.dtype == np.uint8
        assert anns, 'a page without annotations'
        for a in anns:
            assert set(a) == {'category', 'bbox', 'segmentation'}
            assert a['category'] in DOCLAYNET_CLASSES
            assert len(a['bbox']) == 4
            assert len(a['segmentation']) == 1
            assert len(a['segmentation'][0]) >= 6
            assert len(a['segmentation'][0]) % 2 == 0


def test_boxes_inside_page_and_big_enough(pages):
    for _, _, anns in pages:
        for a in anns:
            x0, y0, x1, y1 = _xyxy(a['bbox'])
            assert 0 <= x0 < x1 <= W and 0 <= y0 < y1 <= H, a
            # visible at the demo resolution (~6 px at 320-400 px long side)
            assert min(a['bbox'][2:]) >= MIN_BOX_SIDE, a
            assert min(a["bbox"][2:]) * 320 / H >= 7.5, a


def test_polygons_inside_bbox_with_area(pages):
    for _, _, anns in pages:
        for a in anns:
            x0, y0, x1, y1 = _xyxy(a['bbox'])
            poly = np.asarray(a['segmentation'][0], float).reshape(-1, 2)
            assert (poly[:, 0] >= x0 - 1e-6).all() and (poly[:, 0]
                                                        <= x1 + 1e-6).all()
            assert (poly[:, 1] >= y0 - 1e-6).all() and (poly[:, 1]
                                                        <= y1 + 1e-6).all()
            assert cv2.contourArea(poly.astype(np.float32)) > 0
            if len(poly) != 4:
                assert a['category'] == 'Picture'  # only round pictures
            else:  # rectangles are the bbox itself
                assert poly[:, 0].min() == x0 and poly[:, 0].max() == x1
                assert poly[:, 1].min() == y0 and poly[:, 1].max() == y1


def test_round_picture_polygon():
    rng = np.random.default_rng(0)
    from docseg_mm.demo_data.pictures import picture
    from docseg_mm.demo_data.text import TextStyle
    blk = picture(rng, 'pie', 120, 120, TextStyle())
    poly = blk.items[0].polygon
    assert poly is not None and len(poly) > 8
    # the polygon is the disc: its area is ~pi/4 of the square
    ratio = cv2.contourArea(poly.astype(np.float32)) / (120 * 120)
    assert 0.7 < ratio < 0.8


def test_blocks_do_not_overlap(pages):
    for page_type, _, anns in pages:
        for a, b in itertools.combinations(anns, 2):
            assert _iou(a['bbox'], b['bbox']) < 0.05, (page_type, a, b)


def test_no_ink_outside_boxes(pages):
    """Outside all boxes the page is paper, apart from horizontal rules
    (header rule, footnote rule) that DocLayNet does not label either."""
    for page_type, img, anns in pages:
        gray = img.min(axis=2).astype(int)
        outside = np.ones((H, W), bool)
        for a in anns:
            x0, y0, x1, y1 = (int(v) for v in np.round(_xyxy(a['bbox'])))
            outside[y0:y1, x0:x1] = False
        dark = ((_paper(img) - gray > 40) & outside).astype(np.uint8)
        rules = cv2.morphologyEx(dark, cv2.MORPH_OPEN,
                                 np.ones((1, 25), np.uint8))
        assert int((dark & (1 - rules)).sum()) <= 3, page_type
        assert dark.mean() < 0.004, page_type
        # and the paper itself is (near) white
        assert _paper(img) >= 235


def test_ink_in_every_box(pages):
    for _, img, anns in pages:
        dark = _paper(img) - img.min(axis=2).astype(int) > 80
        for a in anns:
            x0, y0, x1, y1 = (int(v) for v in np.round(_xyxy(a['bbox'])))
            frac = dark[y0:y1, x0:x1].mean()
            if a['category'] in TEXT_LIKE:
                assert frac > 0.05, a
            else:
                assert frac > 0.02, a
            # tight: ink touches every side of the box (padding only where the
            # minimum size required it)
            sub = img[y0:y1, x0:x1].min(axis=2) < 250
            if a['bbox'][3] > MIN_BOX_SIDE:
                assert sub[0].any() and sub[-1].any(), a
            if a['bbox'][2] > MIN_BOX_SIDE:
                assert sub[:, 0].any() and sub[:, -1].any(), a


def test_tables_have_ruling_lines(pages):
    n_tables = 0
    for _, img, anns in pages:
        dark = img.min(axis=2) < 120
        for a in anns:
            if a['category'] != 'Table':
                continue
            n_tables += 1
            x0, y0, x1, y1 = (int(v) for v in np.round(_xyxy(a['bbox'])))
            row_cover = dark[y0:y1, x0:x1].mean(axis=1)
            long_rules = np.flatnonzero(row_cover > 0.95)
            # a rule at the top and one at the bottom of the box
            assert long_rules.size >= 2, a
            assert long_rules[0] <= 2 and long_rules[-1] >= (y1 - y0) - 3, a
    assert n_tables >= 3


def test_text_boxes_have_no_long_rules(pages):
    """Text-like boxes never contain a table-like full-width dark line."""
    for _, img, anns in pages:
        dark = img.min(axis=2) < 120
        for a in anns:
            if a['category'] in ('Text', 'List-item', 'Caption', 'Footnote'):
                x0, y0, x1, y1 = (int(v) for v in np.round(_xyxy(a['bbox'])))
                assert dark[y0:y1, x0:x1].mean(axis=1).max() < 0.9, a


def test_header_footer_positions(pages):
    n_head = n_foot = 0
    for _, _, anns in pages:
        for a in anns:
            x0, y0, x1, y1 = _xyxy(a['bbox'])
            if a['category'] == 'Page-header':
                n_head += 1
                assert y1 <= 0.12 * H, a
            elif a['category'] == 'Page-footer':
                n_foot += 1
                assert y0 >= 0.88 * H, a
            else:  # body elements stay clear of the running lines
                assert y0 >= 0.05 * H and y1 <= 0.95 * H or \
                    a['category'] == 'Picture', a
    assert n_head and n_foot


def test_class_cues(pages):
    """Size cues the detector relies on are consistent."""
    heights = {c: [] for c in DOCLAYNET_CLASSES}
    for _, _, anns in pages:
        for a in anns:
            heights[a['category']].append(a['bbox'][3])
    med = {c: np.median(v) for c, v in heights.items() if v}
    assert med['Title'] > med['Section-header']
    assert med['Text'] > med['Section-header']
    assert med['Page-header'] <= med['Section-header']


def test_class_coverage(pages):
    seen = {a['category'] for _, _, anns in pages for a in anns}
    assert seen == set(DOCLAYNET_CLASSES)


def test_render_page_deterministic():
    a_img, a_anns = render_page(np.random.default_rng(5), page_type='manual')
    b_img, b_anns = render_page(np.random.default_rng(5), page_type='manual')
    c_img, c_anns = render_page(np.random.default_rng(6), page_type='manual')
    assert np.array_equal(a_img, b_img) and a_anns == b_anns
    assert not np.array_equal(a_img, c_img)


def test_page_types_differ(pages):
    """Layout statistics separate the page types (kNN monitoring set)."""

    def stats(page_type):
        anns = [a for t, _, aa in pages if t == page_type for a in aa]
        return {
            c: sum(a['category'] == c for a in anns)
            for c in DOCLAYNET_CLASSES
        }

    sci, fin, law, pat = (
        stats(t) for t in ('scientific_article', 'financial_report',
                           'law_regulation', 'patent'))
    assert fin['Table'] > law['Table']
    assert law['List-item'] > sci['List-item']
    assert sci['Formula'] > fin['Formula']
    assert pat['Text'] > fin['Text']


def test_full_bleed_banner_touches_edges():
    img, anns = render_page(
        np.random.default_rng(1),
        page_type='financial_report',
        full_bleed=True)
    banners = [
        a for a in anns
        if a['category'] == 'Picture' and a['bbox'][:2] == [0.0, 0.0]
    ]
    assert banners and banners[0]['bbox'][2] == W
    assert not any(a['category'] == 'Page-header' for a in anns)


@pytest.mark.parametrize('size', [(300, 400), (612, 792)])
def test_other_page_sizes(size):
    img, anns = render_page(
        np.random.default_rng(3), size, 'scientific_article')
    assert img.shape == (size[1], size[0], 3)
    for a in anns:
        x0, y0, x1, y1 = _xyxy(a['bbox'])
        assert 0 <= x0 < x1 <= size[0] and 0 <= y0 < y1 <= size[1]


def test_unknown_page_type():
    with pytest.raises(ValueError):
        render_page(np.random.default_rng(0), page_type='comic')
