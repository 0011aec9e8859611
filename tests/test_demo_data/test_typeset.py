# Copyright (c) docseg_mm contributors. All rights reserved.
"""Line breaking, hyphenation, justification, fonts and the PubLayNet
relabelling."""
import numpy as np
import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from docseg_mm.demo_data import (DOCLAYNET_CLASSES, DOCLAYNET_TO_PUBLAYNET,
                                 PUBLAYNET_CLASSES, to_publaynet)
from docseg_mm.demo_data.fonts import face
from docseg_mm.demo_data.styles import FAMILIES
from docseg_mm.demo_data.typeset import (break_lines, hyphen_points,
                                         place_line)
from docseg_mm.demo_data.words import paragraph


def test_hyphen_points():
    assert hyphen_points('the') == []
    assert hyphen_points('Table') == []  # too short
    assert hyphen_points('x86_64bit') == []
    pts = hyphen_points('documentation')
    assert pts and all(3 <= p <= len('documentation') - 3 for p in pts)
    # never inside a digraph such as "th" or "ch"
    for w in ('mathematics', 'technical', 'together'):
        for p in hyphen_points(w):
            assert w[p - 1:p + 1] not in ('th', 'ch', 'sh', 'ph', 'ck')


@pytest.mark.parametrize('seed', range(4))
def test_break_lines_justify_fills_the_measure(seed):
    rng = np.random.default_rng(seed)
    fc = face('times')
    toks = [(w, fc) for w in paragraph(rng, 12)]
    size, width = 10.0, 150.0
    lines = break_lines(toks, width, size)
    text = ' '.join(t for line in lines for t, _, _ in line)
    # the words come back in order; hyphenated pieces rejoin
    assert text.replace('- ', '') == ' '.join(t for t, _ in toks)
    for k, line in enumerate(lines):
        natural = sum(stringWidth(t, 'Times-Roman', size) for t, _, _ in
                      line) + stringWidth(' ', 'Times-Roman', size) * (
                          len(line) - 1)
        assert natural <= width + 1e-6
        placed = place_line(line, 50.0, width, size, 'justify',
                            last=k == len(lines) - 1)
        end = placed[-1][2] + placed[-1][3]
        if k < len(lines) - 1 and width - natural < 0.25 * width:
            assert end == pytest.approx(50.0 + width)  # flush right
        else:
            # ragged: the last line, and lines too loose to stretch
            assert end == pytest.approx(50.0 + natural)
    hyphenated = [t for line in lines[:-1] for t, _, _ in line[-1:]
                  if t.endswith('-') and t[:-1].isalpha()]
    assert hyphenated  # a narrow measure needs hyphens


def test_place_line_alignments():
    fc = face('helvetica')
    line = [(t, fc, stringWidth(t, 'Helvetica', 12)) for t in ('ab', 'cde')]
    natural = line[0][2] + line[1][2] + stringWidth(' ', 'Helvetica', 12)
    left = place_line(line, 10, 100, 12, 'left')
    assert left[0][2] == 10
    right = place_line(line, 10, 100, 12, 'right')
    assert right[-1][2] + right[-1][3] == pytest.approx(110)
    centre = place_line(line, 10, 100, 12, 'center')
    assert centre[0][2] == pytest.approx(10 + (100 - natural) / 2)


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_every_family_loads_and_measures(family):
    for variant in ('regular', 'bold', 'italic', 'bolditalic'):
        fc = face(family, variant)
        assert fc.width('Mw', 10) > fc.width('i', 10) > 0
        cleaned = fc.clean('a “quote” – {x} é •')
        if FAMILIES[family].get('ascii'):
            assert all(32 <= ord(c) < 127 for c in cleaned)
            assert not set(cleaned) & set(FAMILIES[family]['unsafe'])


def test_publaynet_relabelling():
    assert set(DOCLAYNET_TO_PUBLAYNET) == set(DOCLAYNET_CLASSES)
    coco = dict(
        images=[dict(id=1)],
        categories=[dict(id=i + 1, name=n)
                    for i, n in enumerate(DOCLAYNET_CLASSES)],
        annotations=[dict(id=i + 1, image_id=1, category_id=i + 1)
                     for i in range(11)])
    out = to_publaynet(coco)
    assert [c['name'] for c in out['categories']] == list(PUBLAYNET_CLASSES)
    names = {c['id']: c['name'] for c in out['categories']}
    got = {a['id']: names[a['category_id']] for a in out['annotations']}
    # Page-header (6) and Page-footer (5) are dropped
    assert set(got) == set(range(1, 12)) - {5, 6}
    assert got[7] == 'figure' and got[9] == 'table' and got[4] == 'list'
    assert got[8] == 'title' and got[11] == 'title' and got[10] == 'text'
    assert got[3] == 'text'  # formulas are text in PubLayNet
