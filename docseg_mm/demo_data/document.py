# Copyright (c) docseg_mm contributors. All rights reserved.
"""Whole documents: the title block, the block loop of the composer, and
slide decks (one slide per page: title, bullets, a figure or a table)."""
from typing import List

import numpy as np

from . import words
from .composer import Composer
from .docstyle import DocStyle
from .page import Page
from .typeset import break_lines

#: Safety stop of the block loop (blocks per page).
_MAX_BLOCKS_PER_PAGE = 200


def _title_block(comp: Composer) -> None:
    st, rng = comp.st, comp.rng
    blk = comp.stream.title_block()
    width = comp.x1 - comp.x0
    centred = st.kind in ('paper', 'book', 'patent', 'law') and \
        rng.random() < 0.8
    align = 'center' if centred else 'left'
    size = st.size * float(rng.uniform(1.6, 2.4))
    fc = st.face('heading', 'bold')
    toks = [(fc.clean(w), fc) for w in blk['title'] if fc.clean(w)]
    comp.y = comp.top + st.size * float(rng.uniform(0.0, 3.0))
    comp.set_lines(break_lines(toks, width * 0.85, size, hyphenate=False),
                   size, 'Title', align, x=comp.x0, width=width,
                   color=st.heading_color or (0, 0, 0))
    comp.y += st.size * 0.8
    if st.kind in ('paper', 'book', 'patent') or rng.random() < 0.3:
        a = comp.stream.tokens(blk['authors'])
        comp.set_lines(break_lines(a, width * 0.9, st.size * 1.1),
                       st.size * 1.1, 'Text', align, x=comp.x0, width=width)
        comp.y += st.size * 0.2
        af = comp.stream.tokens(blk['affiliation'], variant='italic')
        comp.set_lines(break_lines(af, width * 0.9, st.size * 0.95),
                       st.size * 0.95, 'Text', align, x=comp.x0,
                       width=width)
    elif rng.random() < 0.7:
        date = [words.FIRST[int(rng.integers(5))], f'{rng.integers(1, 28)},',
                f'{rng.integers(1995, 2030)}']
        comp.set_lines(break_lines(comp.stream.tokens(date), width,
                                   st.size), st.size, 'Text', align,
                       x=comp.x0, width=width)
    comp.y += st.size * 1.2
    if blk['has_abstract']:
        inset = width * (float(rng.uniform(0.05, 0.12)) if st.columns == 1
                         or rng.random() < 0.6 else 0.0)
        hf = st.face('heading', 'bold')
        label = hf.clean('ABSTRACT' if st.page_type == 'patent' else
                         'Abstract')
        comp.set_lines(break_lines([(label, hf)], width, st.size),
                       st.size, 'Section-header',
                       'center' if centred else 'left', x=comp.x0,
                       width=width)
        comp.y += st.size * 0.3
        toks = comp.stream.tokens(blk['abstract'])
        size = st.size * 0.95
        comp.set_lines(break_lines(toks, width - 2 * inset, size), size,
                       'Text', 'justify', x=comp.x0 + inset,
                       width=width - 2 * inset)
        comp.y += st.size * 1.5
    comp.col_tops = [comp.y] * st.columns


def _slide(comp: Composer, index: int) -> None:
    st, rng = comp.st, comp.rng
    comp.new_page()
    pg = comp.page
    width = comp.x1 - comp.x0
    bar = st.heading_color is not None and rng.random() < 0.7
    tsize = st.size * float(rng.uniform(1.3, 1.8))
    fc = st.face('heading', 'bold')
    ws = (comp.stream.doc_title if index == 0 else
          words.heading(rng, st.page_type))
    toks = [(fc.clean(w), fc) for w in ws if fc.clean(w)]
    lines = break_lines(toks, width, tsize, hyphenate=False)[:2]
    if bar:
        h = len(lines) * tsize * st.leading + tsize
        pg.rect(0, 0, st.width, comp.top * 0.4 + h, fill=st.heading_color)
        comp.y = comp.top * 0.4 + tsize * 0.4
    comp.set_lines(lines, tsize, 'Title' if index == 0 else
                   'Section-header', 'left', x=comp.x0, width=width,
                   color=(1, 1, 1) if bar else st.heading_color or (0, 0, 0))
    comp.y += st.size * 0.8
    if index == 0:
        a = comp.stream.tokens(words.authors(rng, int(rng.integers(1, 3))))
        comp.set_lines(break_lines(a, width, st.size), st.size, 'Text',
                       'left', x=comp.x0, width=width)
        return
    layout = rng.random()
    top = comp.y
    if layout < 0.45:
        left_w = width if layout < 0.25 else width * 0.55
        comp.col_w, comp.col_tops = left_w, [top]
        blk = comp.stream.next()
        while blk['kind'] != 'list':
            blk = comp.stream.next()
        for it in blk['items']:
            del it[int(rng.integers(3, 9)):]
        comp.list_block(dict(blk, items=blk['items'][:5]))
        if layout >= 0.25:
            comp.y = top
            fig = dict(kind='figure', maker=['chart', 'photo', 'diagram'][
                int(rng.integers(3))], label='', caption=[], wide=False)
            comp._float(fig, comp.x0 + left_w + 12, width - left_w - 12)
    else:
        comp.col_w = width
        h = comp.bottoms[0] - comp.y
        if layout < 0.8:
            fig = dict(kind='figure', maker=['chart', 'photo'][
                int(rng.integers(2))], label='Figure', caption=[],
                size=(min(width, h * 1.6) * 0.8, h * 0.75), wide=False)
            comp._float(fig, comp.x0, width)
        else:
            comp.stream.table_no += 1
            blk = dict(kind='table', label=f'Table {comp.stream.table_no}',
                       caption=[], caption_above=True)
            if comp._float(blk, comp.x0, width, dry=True) <= h:
                comp._float(blk, comp.x0, width)


def make_document(rng: np.random.Generator, style: DocStyle,
                  n_pages: int) -> List[Page]:
    """Compose the first ``n_pages`` pages of a document.

    Args:
        rng (np.random.Generator): The document's random source.
        style (DocStyle): Its style.
        n_pages (int): Pages wanted.

    Returns:
        list[Page]: The pages, each with its elements and words.
    """
    comp = Composer(rng, style)
    if style.kind == 'slides':
        for i in range(n_pages):
            _slide(comp, i if rng.random() < 0.9 or i else 1)
        return comp.pages
    comp.new_page()
    if style.title_page:
        _title_block(comp)
        comp.y = comp.col_tops[0]
    for _ in range(_MAX_BLOCKS_PER_PAGE * (n_pages + 1)):
        if len(comp.pages) > n_pages:
            break
        blk = comp.stream.next()
        if blk['kind'] == 'para':
            comp.paragraph(blk['tokens'])
        elif blk['kind'] == 'heading':
            comp.heading(blk)
        elif blk['kind'] == 'list':
            comp.list_block(blk)
        else:
            comp.place_float(blk)
    return comp.pages[:n_pages]
