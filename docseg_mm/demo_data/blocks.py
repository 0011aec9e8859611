# Copyright (c) docseg_mm contributors. All rights reserved.
"""The content stream of a document: headings, paragraphs with inline
emphasis and formulas, lists, figures, tables, display formulas and code,
drawn with the block weights of the document's page kind."""
from typing import Dict, List

import numpy as np

from . import formulas, words
from .docstyle import DocStyle
from .formulas import MathFace

_ROMAN = ['i', 'ii', 'iii', 'iv', 'v', 'vi', 'vii', 'viii', 'ix', 'x']


class ContentStream:
    """Yields the blocks of one document in reading order.

    Args:
        rng (np.random.Generator): The document's random source.
        style (DocStyle): The document style.
    """

    def __init__(self, rng: np.random.Generator, style: DocStyle) -> None:
        self.rng = rng
        self.style = style
        self.domain = style.page_type
        self.section = [int(rng.integers(0, 5)), 0]
        self.figure_no = int(rng.integers(0, 6))
        self.table_no = int(rng.integers(0, 4))
        self.eq_no = int(rng.integers(0, 10))
        self.since_heading = 0
        self.doc_title = words.title(rng)
        self.math = MathFace(style.math_fontset)

    # -- tokens ---------------------------------------------------------
    def tokens(self, ws: List[str], role: str = 'body',
               variant: str = 'regular', emph: float = 0.03,
               inline_math: float = 0.0) -> List[tuple]:
        """``(text, face)`` tokens, with some words in italic/bold."""
        st, rng = self.style, self.rng
        base = st.face(role, variant)
        out = []
        for w in ws:
            if inline_math and rng.random() < inline_math:
                out.append((formulas.inline_formula(rng), self.math))
            r = rng.random()
            fc = base
            if variant == 'regular' and r < emph:
                fc = st.face(role, 'italic' if r < emph * 0.7 else 'bold')
            w = fc.clean(w)
            if w:
                out.append((w, fc))
        return out

    def heading_words(self, level: int) -> List[str]:
        ws = words.heading(self.rng, self.domain)
        if self.style.heading_numbered:
            if self.domain == 'law_regulation' and self.rng.random() < 0.5:
                num = [f'Article {self.section[0]}']
                return num + ([] if self.rng.random() < 0.3 else ws)
            num = (f'{self.section[0]}' if level == 1 else
                   f'{self.section[0]}.{self.section[1]}')
            return [num + ('.' if self.rng.random() < 0.3 else '')] + ws
        return ws

    # -- blocks ---------------------------------------------------------
    def title_block(self) -> Dict:
        rng = self.rng
        return dict(
            kind='title', title=self.doc_title,
            authors=words.authors(rng, int(rng.integers(1, 6))),
            affiliation=words.short_phrase(rng, 4) + [
                f'{words.LAST[int(rng.integers(len(words.LAST)))]}'],
            abstract=words.paragraph(rng, int(rng.integers(4, 9)),
                                     self.domain),
            has_abstract=self.domain in ('scientific_article', 'patent')
            or rng.random() < 0.3)

    def next(self) -> Dict:
        """The next block of the stream."""
        rng, st = self.rng, self.style
        w = dict(st.blocks)
        if self.since_heading < 2:
            w['heading'] = 0.0
        keys = list(w)
        p = np.array([w[k] for k in keys], float)
        kind = keys[int(rng.choice(len(keys), p=p / p.sum()))]
        self.since_heading += 1
        multi = st.columns > 1
        if kind == 'heading':
            self.since_heading = 0
            level = 1 if rng.random() < 0.45 else 2
            if level == 1:
                self.section = [self.section[0] + 1, 0]
            else:
                self.section[1] += 1
            return dict(kind='heading', level=level,
                        words=self.heading_words(level))
        if kind == 'para':
            n = int(rng.integers(2, 8)) if st.kind != 'slides' else 1
            return dict(kind='para', tokens=self.tokens(
                words.paragraph(rng, n, self.domain), inline_math=0.02 if
                st.kind in ('paper', 'book') else 0.0))
        if kind == 'list':
            marker = ['dot', 'dot', 'dash', 'square', 'num', 'num', 'paren',
                      'alpha', 'roman'][int(rng.integers(9))]
            if self.domain == 'law_regulation' and rng.random() < 0.6:
                marker = ['paren', 'alpha', 'num'][int(rng.integers(3))]
            n_items = int(rng.integers(2, 7))
            items = []
            for _ in range(n_items):
                n = int(rng.integers(1, 4)) if rng.random() < 0.6 else 1
                ws = words.paragraph(rng, n, self.domain)
                if rng.random() < 0.4:
                    ws = ws[:int(rng.integers(3, 12))]
                    ws[-1] = ws[-1].rstrip('.,;:?') + \
                        ['.', ';', ''][int(rng.integers(3))]
                items.append(self.tokens(ws))
            return dict(kind='list', marker=marker, items=items)
        if kind in ('figure', 'chart'):
            self.figure_no += 1
            if self.domain == 'patent':
                maker = 'patent'
            elif kind == 'chart':
                maker = 'chart'
            else:
                maker = ['photo', 'photo', 'diagram'][int(rng.integers(3))]
            label = ('FIG. ' if self.domain == 'patent' else
                     ['Figure ', 'Fig. ', 'Figure '][int(rng.integers(3))]) \
                + f'{self.figure_no}' + ('' if self.domain == 'patent'
                                         else ':')
            cap = words.paragraph(rng, int(rng.integers(1, 3)), self.domain)
            if rng.random() < 0.4:
                cap = cap[:int(rng.integers(3, 10))]
                cap[-1] = cap[-1].rstrip('.,;:?') + '.'
            return dict(kind='figure', maker=maker, label=label,
                        caption=cap if self.domain != 'patent' or
                        rng.random() < 0.3 else [],
                        wide=multi and rng.random() < st.wide_float)
        if kind == 'table':
            self.table_no += 1
            cap = words.paragraph(rng, 1, self.domain)[:int(rng.integers(
                3, 14))]
            cap[-1] = cap[-1].rstrip('.,;:?') + '.'
            return dict(kind='table', label=f'Table {self.table_no}' +
                        (':' if rng.random() < 0.6 else '.'), caption=cap,
                        caption_above=rng.random() < 0.75,
                        wide=multi and rng.random() < st.wide_float)
        if kind == 'formula':
            self.eq_no += 1
            return dict(kind='formula', tex=formulas.display_formula(rng),
                        number=f'({self.eq_no})' if rng.random() < 0.8
                        else '')
        lines = words.code_lines(rng, int(rng.integers(3, 12)))
        return dict(kind='code', lines=lines, frame=rng.random() < 0.5)

    def list_marker(self, marker: str, i: int) -> str:
        """Text of a numbered marker (bullets are drawn as shapes)."""
        return dict(num=f'{i + 1}.', paren=f'({i + 1})',
                    alpha=f'({"abcdefghij"[i % 10]})',
                    roman=f'{_ROMAN[i % 10]}.').get(marker, '')
