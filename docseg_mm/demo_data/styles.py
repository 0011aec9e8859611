# Copyright (c) docseg_mm contributors. All rights reserved.
"""Data tables of the typesetter: paper sizes, font families, page kinds.

Nothing here draws; :mod:`.composer` reads these tables. A *page kind* is a
layout template (a two-column paper, a book page, a slide ...); a *page
type* (:data:`~.classes.PAGE_TYPES`) is a document category that picks its
page kinds with the weights in :data:`PAGE_TYPE_KINDS`. Ranges ``(lo, hi)``
are sampled uniformly, lists are choices, dicts of weights are sampled by
weight.
"""
from typing import Dict

#: Paper sizes in PDF points (1/72 inch), portrait ``(width, height)``.
PAPER: Dict[str, tuple] = {
    'letter': (612.0, 792.0),
    'a4': (595.3, 841.9),
    'legal': (612.0, 1008.0),
    'a5': (419.5, 595.3),
    'b5': (498.9, 708.7),
    'royal': (432.0, 648.0),
    'slide169': (720.0, 405.0),
    'slide43': (720.0, 540.0),
}

#: Font families. ``std`` fonts are PDF base-14 fonts (not embedded; the
#: renderer substitutes metric-compatible faces, as for many real PDFs);
#: the others are TrueType files shipped by matplotlib (``mpl``) or
#: ReportLab (``rl``). ``ascii``: the face only has printable ASCII glyphs at
#: their Unicode positions (text is transliterated), ``safe``: ASCII
#: characters that render as themselves (others are dropped).
FAMILIES: Dict[str, dict] = {
    'times': dict(
        kind='std', regular='Times-Roman', bold='Times-Bold',
        italic='Times-Italic', bolditalic='Times-BoldItalic'),
    'helvetica': dict(
        kind='std', regular='Helvetica', bold='Helvetica-Bold',
        italic='Helvetica-Oblique', bolditalic='Helvetica-BoldOblique'),
    'courier': dict(
        kind='std', regular='Courier', bold='Courier-Bold',
        italic='Courier-Oblique', bolditalic='Courier-BoldOblique'),
    'dejavu_serif': dict(
        kind='mpl', regular='DejaVuSerif', bold='DejaVuSerif-Bold',
        italic='DejaVuSerif-Italic', bolditalic='DejaVuSerif-BoldItalic'),
    'dejavu_sans': dict(
        kind='mpl', regular='DejaVuSans', bold='DejaVuSans-Bold',
        italic='DejaVuSans-Oblique', bolditalic='DejaVuSans-BoldOblique'),
    'dejavu_mono': dict(
        kind='mpl', regular='DejaVuSansMono', bold='DejaVuSansMono-Bold',
        italic='DejaVuSansMono-Oblique',
        bolditalic='DejaVuSansMono-BoldOblique'),
    'stix': dict(
        kind='mpl', regular='STIXGeneral', bold='STIXGeneralBol',
        italic='STIXGeneralItalic', bolditalic='STIXGeneralBolIta'),
    'computer_modern': dict(
        kind='mpl', regular='cmr10', bold='cmb10', italic='cmti10',
        bolditalic='cmb10', ascii=True,
        unsafe='<>{}|"\\_^'),
    'cm_sans': dict(
        kind='mpl', regular='cmss10', bold='cmb10', italic='cmss10',
        bolditalic='cmb10', ascii=True, unsafe='<>{}|"\\_^'),
    'cm_mono': dict(
        kind='mpl', regular='cmtt10', bold='cmtt10', italic='cmtt10',
        bolditalic='cmtt10', ascii=True, unsafe=''),
    'vera': dict(
        kind='rl', regular='Vera', bold='VeraBd', italic='VeraIt',
        bolditalic='VeraBI'),
}

SERIF = ['times', 'times', 'times', 'stix', 'computer_modern',
         'dejavu_serif']
SANS = ['helvetica', 'helvetica', 'dejavu_sans', 'vera', 'cm_sans']
MONO = ['courier', 'dejavu_mono', 'cm_mono']

#: Page kinds: the layout templates. Lengths in points unless named
#: ``*_in`` (inches). ``blocks``: weights of the body blocks the content
#: stream draws from.
_BASE = dict(
    paper=['letter', 'a4'], margin_in=(0.7, 1.1), columns={1: 1.0},
    gutter=(12.0, 24.0), body=SERIF, heading=SANS + SERIF, mono=MONO,
    size=(9.0, 11.0), leading=(1.15, 1.3), justify=0.7, indent=0.5,
    parskip=(0.0, 0.6), heading_numbered=0.6, heading_scale=(1.1, 1.5),
    header=0.8, header_rule=0.4, footer=0.8, page_no_top=0.3,
    title_page=0.3, footnotes=0.3, wide_float=0.0, color_heading=0.1,
    blocks=dict(para=10, heading=3.0, list=1.2, figure=1.2, chart=1.2,
                table=1.0, formula=0.5, code=0.2))

PAGE_KINDS: Dict[str, dict] = {
    'paper': dict(
        _BASE, paper=['letter', 'a4'], margin_in=(0.6, 1.0),
        columns={1: 0.35, 2: 0.6, 3: 0.05}, size=(8.5, 10.5), justify=0.9,
        heading=SERIF + SANS, title_page=0.4, footnotes=0.35,
        wide_float=0.35,
        blocks=dict(para=10, heading=2.6, list=0.6, figure=1.0, chart=1.6,
                    table=1.2, formula=1.6, code=0.2)),
    'book': dict(
        _BASE, paper=['a5', 'b5', 'royal', 'letter'], margin_in=(0.55, 0.9),
        size=(9.5, 11.5), justify=0.95, indent=0.9, parskip=(0.0, 0.1),
        header=0.9, header_rule=0.3, footer=0.6, title_page=0.15,
        footnotes=0.4,
        blocks=dict(para=14, heading=1.5, list=0.8, figure=0.6, chart=0.4,
                    table=0.4, formula=0.6, code=0.3)),
    'report': dict(
        _BASE, paper=['letter', 'a4'], margin_in=(0.6, 1.0),
        columns={1: 0.6, 2: 0.4}, body=SANS + SERIF, heading=SANS,
        size=(8.5, 10.5), justify=0.45, indent=0.05, parskip=(0.3, 0.8),
        color_heading=0.5, title_page=0.2, footnotes=0.25,
        blocks=dict(para=8, heading=3.0, list=1.4, figure=0.6, chart=2.2,
                    table=2.6, formula=0.1, code=0.05)),
    'manual': dict(
        _BASE, paper=['letter', 'a4', 'b5'], margin_in=(0.6, 1.0),
        columns={1: 0.85, 2: 0.15}, body=SERIF + SANS, heading=SANS,
        justify=0.4, indent=0.1, parskip=(0.3, 0.8), color_heading=0.3,
        title_page=0.1,
        blocks=dict(para=8, heading=3.4, list=2.4, figure=1.2, chart=0.4,
                    table=0.8, formula=0.2, code=2.6)),
    'patent': dict(
        _BASE, paper=['letter'], margin_in=(0.7, 0.9),
        columns={2: 0.8, 1: 0.2}, body=['times', 'times', 'stix'],
        heading=['times'], size=(9.0, 10.5), justify=0.8, indent=0.3,
        parskip=(0.0, 0.4), heading_numbered=0.1, heading_scale=(1.0, 1.1),
        header=0.9, header_rule=0.6, footer=0.3, page_no_top=0.8,
        title_page=0.3, footnotes=0.0,
        blocks=dict(para=12, heading=1.2, list=0.5, figure=1.2, chart=0.1,
                    table=0.3, formula=0.3, code=0.0)),
    'law': dict(
        _BASE, paper=['a4', 'letter', 'legal'], margin_in=(0.8, 1.2),
        columns={1: 0.8, 2: 0.2}, body=SERIF + ['helvetica'],
        heading=SERIF + SANS, justify=0.85, indent=0.2, parskip=(0.2, 0.6),
        heading_numbered=0.9, heading_scale=(1.0, 1.25), footnotes=0.5,
        title_page=0.2,
        blocks=dict(para=10, heading=3.0, list=3.0, figure=0.1, chart=0.1,
                    table=0.4, formula=0.05, code=0.0)),
    'slides': dict(
        _BASE, paper=['slide169', 'slide43'], margin_in=(0.4, 0.7),
        body=SANS, heading=SANS, size=(16.0, 22.0), leading=(1.15, 1.3),
        justify=0.0, indent=0.0, parskip=(0.3, 0.6), header=0.0,
        footer=0.8, page_no_top=0.0, title_page=0.0, footnotes=0.0,
        color_heading=0.6),
    'form': dict(
        _BASE, paper=['letter', 'a4'], margin_in=(0.5, 0.8), body=SANS,
        heading=SANS, size=(8.0, 10.0), justify=0.0, indent=0.0,
        parskip=(0.2, 0.5), header=0.5, footer=0.7, title_page=0.0,
        footnotes=0.2, color_heading=0.3,
        blocks=dict(para=4, heading=2.5, list=2.0, figure=0.1, chart=0.1,
                    table=4.0, formula=0.0, code=0.0)),
}

#: Page type (document category) -> weights of its page kinds.
PAGE_TYPE_KINDS: Dict[str, Dict[str, float]] = {
    'scientific_article': dict(paper=0.75, book=0.1, slides=0.15),
    'financial_report': dict(report=0.75, slides=0.15, form=0.1),
    'manual': dict(manual=0.75, book=0.1, slides=0.15),
    'patent': dict(patent=1.0),
    'law_regulation': dict(law=0.75, book=0.1, form=0.15),
}

#: Heading colours (RGB 0..1) of coloured house styles.
HEADING_COLORS = [(0.1, 0.2, 0.5), (0.55, 0.1, 0.1), (0.0, 0.35, 0.45),
                  (0.2, 0.4, 0.2), (0.3, 0.3, 0.3), (0.0, 0.3, 0.6)]
#: Table rule styles: ``booktabs`` (three rules), ``grid`` (all lines),
#: ``header`` (rule under the header and at the bottom), ``zebra`` (shaded
#: rows), ``none`` (white space only).
TABLE_STYLES = dict(booktabs=0.4, grid=0.25, header=0.15, zebra=0.15,
                    none=0.05)
#: List markers: ``(kind, text)``; ``dot``/``dash``/``square`` bullets are
#: drawn as shapes or glyphs, ``num`` formats ``1.``, ``1)``, ``(a)``, ``i.``.
LIST_MARKERS = ['dot', 'dot', 'dash', 'square', 'num', 'num', 'paren',
                'alpha', 'roman']
