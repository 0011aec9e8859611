# Copyright (c) docseg_mm contributors. All rights reserved.
"""The page composer: flows a document's content stream through columns and
pages (paragraphs and list items split across columns and pages, floats
deferred to the next column or to the top of the next page when they do not
fit), with running headers, page numbers, footnotes and a title block."""
from typing import Dict, List, Optional

import numpy as np

from . import charts, formulas, photos, words
from .blocks import ContentStream
from .docstyle import DocStyle
from .page import Page, union
from .tables import Table
from .typeset import break_lines, place_line

#: Resolution of figure rasters embedded in the PDF (dots per inch).
FIGURE_DPI = 110


class Composer:
    """Lays out one document.

    Args:
        rng (np.random.Generator): The document's random source.
        style (DocStyle): The document style.
    """

    def __init__(self, rng: np.random.Generator, style: DocStyle) -> None:
        self.rng = rng
        self.st = style
        self.stream = ContentStream(rng, style)
        self.pages: List[Page] = []
        self.pending: List[Dict] = []
        self.pending_wide: List[Dict] = []
        ml, mt, mr, mb = style.margins
        self.x0, self.x1 = ml, style.width - mr
        self.top, self.bottom0 = mt, style.height - mb
        n = style.columns
        self.col_w = (self.x1 - self.x0 - (n - 1) * style.gutter) / n
        self.first_page_no = int(rng.integers(1, 300))
        self.running = ' '.join(self.stream.doc_title[:int(rng.integers(
            2, 7))])

    # -- geometry -------------------------------------------------------
    @property
    def page(self) -> Page:
        return self.pages[-1]

    def col_x(self, col: Optional[int] = None) -> float:
        c = self.col if col is None else col
        return self.x0 + c * (self.col_w + self.st.gutter)

    def room(self) -> float:
        return self.bottoms[self.col] - self.y

    def at_top(self) -> bool:
        return self.y <= self.col_tops[self.col] + 1e-6

    def new_page(self) -> None:
        st = self.st
        self.pages.append(Page(st.width, st.height))
        n = st.columns
        self.col = 0
        self.col_tops = [self.top] * n
        self.bottoms = [self.bottom0] * n
        self._header_footer()
        if self.rng.random() < st.footnotes and len(self.pages) > 1:
            self._footnotes()
        self.y = self.top
        while self.pending_wide:
            blk = self.pending_wide.pop(0)
            h = self._float(blk, self.x0, self.x1 - self.x0, dry=True)
            if h > self.bottom0 - self.top:
                continue
            self._float(blk, self.x0, self.x1 - self.x0)
            self.col_tops = [self.y] * n
        self.y = self.col_tops[0]
        self._flush_pending()

    def next_column(self) -> None:
        if self.col + 1 < self.st.columns:
            self.col += 1
            self.y = self.col_tops[self.col]
            self._flush_pending()
        else:
            self.new_page()

    def _flush_pending(self) -> None:
        keep = []
        for blk in self.pending:
            h = self._float(blk, self.col_x(), self.col_w, dry=True)
            if h <= self.room():
                self._float(blk, self.col_x(), self.col_w)
            else:
                keep.append(blk)
        self.pending = keep

    # -- page furniture -------------------------------------------------
    def _header_footer(self) -> None:
        st, rng, pg = self.st, self.rng, self.page
        no = str(self.first_page_no + len(self.pages) - 1)
        size = st.size * 0.85
        odd = len(self.pages) % 2 == 1
        fc = st.face('body', 'italic' if rng.random() < 0.5 else 'regular')
        if st.header:
            base = self.top * 0.6
            text = fc.clean(self.running)
            w = fc.width(text, size)
            if st.page_no_top:
                nx = self.x1 - fc.width(no, size) if odd else self.x0
                b = pg.text([(no, fc, nx, fc.width(no, size))], base, size)
                pg.element('Page-header', b)
                tx = self.x0 if odd else self.x1 - w
            else:
                tx = [self.x0, (self.x0 + self.x1 - w) / 2,
                      self.x1 - w][int(rng.integers(3))]
            pg.element('Page-header', pg.text(
                [(t, fc, x, ww) for t, x, ww in self._words(text, fc, size,
                                                            tx)], base,
                size))
            if st.header_rule:
                pg.line(self.x0, base + size * 0.45, self.x1,
                        base + size * 0.45, 0.4)
        if st.footer or not st.page_no_top or not st.header:
            base = st.height - (st.height - self.bottom0) * 0.45
            w = fc.width(no, size)
            pos = rng.random() if st.footer else 0.0
            nx = ((self.x0 + self.x1 - w) / 2 if pos < 0.6 else
                  self.x1 - w if odd else self.x0)
            if not (st.header and st.page_no_top):
                pg.element('Page-footer',
                           pg.text([(no, fc, nx, w)], base, size))
            if st.footer and rng.random() < 0.5:
                text = fc.clean(' '.join(words.short_phrase(rng, 3)) +
                                f' {rng.integers(2000, 2030)}')
                tw = fc.width(text, size)
                tx = self.x0 if nx > (self.x0 + self.x1) / 2 else \
                    self.x1 - tw
                if abs(tx - nx) > tw + 10 and nx < tx or tx + tw < nx - 10:
                    pg.element('Page-footer', pg.text(
                        [(t, fc, x, ww) for t, x, ww in self._words(
                            text, fc, size, tx)], base, size))
            self.bottoms = [self.bottom0] * self.st.columns

    def _words(self, text: str, fc, size: float, x: float) -> List:
        out = []
        for t in text.split():
            w = fc.width(t, size)
            out.append((t, x, w))
            x += w + fc.width(' ', size)
        return out

    def _footnotes(self) -> None:
        st, rng, pg = self.st, self.rng, self.page
        size = st.size * 0.8
        lh = size * 1.2
        fc = st.face('body')
        x, width = self.col_x(0), self.col_w
        notes = []
        for k in range(int(rng.integers(1, 3))):
            toks = [(f'{k + 1}', fc)] + self.stream.tokens(
                words.sentence(rng, st.page_type) + (
                    words.sentence(rng) if rng.random() < 0.4 else []))
            notes.append(break_lines(toks, width, size))
        h = sum(len(n) for n in notes) * lh + size
        bottom = self.bottom0 - h
        pg.line(x, bottom + size * 0.2, x + width * 0.35, bottom + size * 0.2,
                0.4)
        y = bottom + size * 0.6
        for lines in notes:
            boxes = []
            for i, line in enumerate(lines):
                y += lh
                placed = place_line(line, x, width, size,
                                    'justify' if st.justify else 'left',
                                    i == len(lines) - 1)
                boxes.append(pg.text(placed, y - lh * 0.25, size))
            pg.element('Footnote', union(boxes))
        self.bottoms[0] = bottom - size * 0.6

    # -- text -----------------------------------------------------------
    def set_lines(self, lines: List, size: float, category: str,
                  align: str, indent: float = 0.0, hang: float = 0.0,
                  marker=None, color=(0, 0, 0), x=None,
                  width=None) -> None:
        """Place broken lines, continuing in the next column when full."""
        lh = size * self.st.leading
        boxes: List[List[float]] = []
        for i, line in enumerate(lines):
            if self.y + lh > self.bottoms[self.col]:
                if boxes:
                    self.page.element(category, union(boxes))
                    boxes = []
                self.next_column()
            cx = (self.col_x() if x is None else x) + hang
            cw = (self.col_w if width is None else width) - hang
            ind = indent if i == 0 else 0.0
            base = self.y + lh * 0.78
            placed = place_line(line, cx + ind, cw - ind, size, align,
                                i == len(lines) - 1)
            if i == 0 and marker is not None:
                boxes.append(marker(self.page, cx - hang, base, size))
            boxes.append(self.page.text_or_math(placed, base, size, color))
            self.y += lh
        if boxes:
            self.page.element(category, union(boxes))

    def paragraph(self, tokens: List, category: str = 'Text',
                  size: Optional[float] = None, align: Optional[str] = None,
                  indent: Optional[float] = None) -> None:
        st = self.st
        size = size or st.size
        align = align or ('justify' if st.justify else 'left')
        indent = st.indent if indent is None else indent
        lines = break_lines(tokens, self.col_w, size, indent)
        if self.room() < 2 * size * st.leading and not self.at_top():
            self.next_column()
        self.set_lines(lines, size, category, align, indent)
        self.y += st.parskip

    def heading(self, blk: Dict) -> None:
        st = self.st
        scale = st.heading_scale if blk['level'] == 1 else \
            st.heading_scale ** 0.5
        size = st.size * scale
        fc = st.face('heading', 'bold')
        toks = [(fc.clean(w), fc) for w in blk['words'] if fc.clean(w)]
        lines = break_lines(toks, self.col_w, size, hyphenate=False)
        need = (len(lines) + 3) * size * st.leading + st.size
        if self.room() < need and not self.at_top():
            self.next_column()
        if not self.at_top():
            self.y += st.size * float(self.rng.uniform(0.6, 1.4))
        self.set_lines(lines, size, 'Section-header', 'left',
                       color=st.heading_color or (0, 0, 0))
        self.y += st.size * float(self.rng.uniform(0.2, 0.6))

    def list_block(self, blk: Dict) -> None:
        st, rng = self.st, self.rng
        hang = st.size * float(rng.uniform(1.4, 2.6))
        left = st.size * float(rng.uniform(0.0, 1.5))
        fc = st.face('body')
        mk = blk['marker']

        def marker_fn(i):
            def draw(page, x, base, size):
                x = x + left
                if mk == 'dot':
                    r = size * 0.16
                    page.circle(x + r * 2, base - size * 0.3, r)
                    return [x + r, base - size * 0.3 - r, x + 3 * r,
                            base - size * 0.3 + r]
                if mk in ('square', 'dash'):
                    h = size * (0.3 if mk == 'square' else 0.07)
                    y0 = base - size * 0.3 - h / 2
                    page.rect(x + size * 0.1, y0, x + size * 0.4 +
                              (0.1 * size if mk == 'dash' else 0), y0 + h,
                              fill=(0, 0, 0))
                    return [x + size * 0.1, y0, x + size * 0.5, y0 + h]
                t = fc.clean(self.stream.list_marker(mk, i))
                return page.text([(t, fc, x, fc.width(t, size))], base, size)
            return draw

        for i, toks in enumerate(blk['items']):
            lines = break_lines(toks, self.col_w - left - hang, st.size)
            if self.room() < st.size * st.leading * 1.5 and \
                    not self.at_top():
                self.next_column()
            self.set_lines(lines, st.size, 'List-item',
                           'justify' if st.justify else 'left',
                           hang=left + hang, marker=marker_fn(i))
            self.y += st.size * float(rng.uniform(0.0, 0.4))
        self.y += st.parskip

    # -- floats ---------------------------------------------------------
    def _caption_lines(self, blk: Dict, width: float) -> List:
        st = self.st
        size = st.size * 0.9
        bold = st.face('body', 'bold')
        toks = [(w, bold) for w in blk['label'].split()]
        toks += self.stream.tokens(blk['caption'])
        return break_lines(toks, width, size) if len(toks) > 1 or \
            blk['caption'] else break_lines(toks, width, size)

    def _float(self, blk: Dict, x: float, width: float,
               dry: bool = False) -> float:
        """Place a figure/table/formula/code block at the cursor (or only
        measure it with ``dry``); returns its height."""
        st, rng = self.st, self.rng
        cap_size = st.size * 0.9
        cap_lh = cap_size * st.leading
        if blk['kind'] == 'figure':
            if 'size' not in blk:
                w, h = charts.fit_aspect(rng, width, 0.45 * (
                    self.bottom0 - self.top))
                blk['size'] = (w, h)
            w, h = blk['size']
            w = min(w, width)
            caps = self._caption_lines(blk, width) if blk['caption'] or \
                blk['maker'] == 'patent' else []
            total = h + st.size * 0.6 + len(caps) * cap_lh + st.size
            if dry:
                return total
            fx = x + (width - w) / 2
            self.y += st.size * 0.3
            self.page.image(self._picture(blk, w, h), fx, self.y, fx + w,
                            self.y + h)
            self.page.element('Picture', [fx, self.y, fx + w, self.y + h],
                              photo=blk['maker'] == 'photo')
            self.y += h + st.size * 0.6
            self._caption(caps, cap_size, x, width)
            self.y += st.size * 0.7
            return total
        if blk['kind'] == 'table':
            tb = blk.get('table')
            if tb is None or tb.avail != width:
                tb = Table(np.random.default_rng(blk.setdefault(
                    'seed', int(rng.integers(1 << 31)))), width, st.size,
                    st.face('body'), st.face('body', 'bold'), st.page_type)
                tb.avail = width
                blk['table'] = tb
            caps = self._caption_lines(blk, width)
            total = tb.height + len(caps) * cap_lh + st.size * 1.6
            if dry:
                return total
            self.y += st.size * 0.3
            tx = x + (width - tb.width) / 2
            if blk['caption_above']:
                self._caption(caps, cap_size, x, width)
                self.y += st.size * 0.4
            self.page.element('Table', tb.draw(self.page, tx, self.y))
            self.y += tb.height + st.size * 0.4
            if not blk['caption_above']:
                self._caption(caps, cap_size, x, width)
            self.y += st.size * 0.6
            return total
        if blk['kind'] == 'formula':
            laid = formulas.typeset(blk['tex'], round(st.size * 1.1, 2),
                                    st.math_fontset)
            fw, fh, fd = laid[:3]
            total = fh + st.size * 1.4
            if dry:
                return total
            self.y += st.size * 0.7
            fx = x + max(0.0, (width - fw) / 2)
            base = self.y + fh - fd
            box = formulas.draw(self.page, laid, fx, base)
            if blk['number']:
                fc = st.face('body')
                nw = fc.width(blk['number'], st.size)
                box = union([box, self.page.text(
                    [(blk['number'], fc, x + width - nw, nw)], base,
                    st.size)])
            self.page.element('Formula', box)
            self.y += fh + st.size * 0.7
            return total
        # code
        size = st.size * 0.85
        lh = size * 1.2
        fc = st.face('mono')
        lines = [fc.clean(t) for t in blk['lines']]
        while lines and max(fc.width(t, size) for t in lines) > width - 8 \
                and size > 5:
            size *= 0.9
            lh = size * 1.2
        total = len(lines) * lh + st.size * 1.6
        if dry:
            return total
        self.y += st.size * 0.6
        top = self.y
        if blk['frame']:
            self.page.rect(x, top, x + width, top + len(lines) * lh + 6,
                           fill=(0.94, 0.94, 0.94), stroke=(0.6, 0.6, 0.6))
            self.y += 3
        boxes = []
        for t in lines:
            if t.strip():
                ind = len(t) - len(t.lstrip(' '))
                cx = x + 4 + fc.width(' ' * ind, size)
                boxes.append(self.page.text(
                    [(w, fc, cx + fc.width(t[ind:ind + k], size),
                      fc.width(w, size)) for w, k in _split_keep(t[ind:])],
                    self.y + lh * 0.8, size))
            self.y += lh
        self.page.element('Text', [x, top, x + width, self.y + 3]
                          if blk['frame'] else union(boxes))
        self.y += st.size * 1.0
        return total

    def _caption(self, lines: List, size: float, x: float,
                 width: float) -> None:
        if not lines:
            return
        align = 'center' if len(lines) == 1 else (
            'justify' if self.st.justify else 'left')
        self.set_lines(lines, size, 'Caption', align, x=x, width=width)

    def _picture(self, blk: Dict, w: float, h: float) -> np.ndarray:
        rng, st = self.rng, self.st
        px = max(16, int(w / 72 * FIGURE_DPI)), max(16, int(h / 72 *
                                                            FIGURE_DPI))
        serif = st.body in ('times', 'stix', 'computer_modern',
                            'dejavu_serif')
        if blk['maker'] == 'chart':
            return charts.chart(rng, w, h, FIGURE_DPI, serif)
        if blk['maker'] in ('diagram', 'patent'):
            return charts.diagram(rng, w, h, FIGURE_DPI,
                                  blk['maker'] == 'patent')
        return photos.photo(rng, *px)

    def place_float(self, blk: Dict) -> None:
        if blk.get('wide') and self.st.columns > 1:
            if self.at_top() and self.col == 0 and len(self.page.elements) \
                    <= 4:
                h = self._float(blk, self.x0, self.x1 - self.x0, dry=True)
                if h <= self.room():
                    self._float(blk, self.x0, self.x1 - self.x0)
                    self.col_tops = [self.y] * self.st.columns
                    return
            self.pending_wide.append(blk)
            return
        h = self._float(blk, self.col_x(), self.col_w, dry=True)
        if h <= self.room():
            self._float(blk, self.col_x(), self.col_w)
        elif h > self.bottoms[self.col] - self.col_tops[self.col]:
            return  # never fits: drop it
        else:
            self.pending.append(blk)


def _split_keep(text: str) -> List:
    """Words of a code line with their character offsets."""
    out, k = [], 0
    for w in text.split(' '):
        if w:
            out.append((w, k))
        k += len(w) + 1
    return out
