# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tables: content (header rows with merged group cells, row labels, numbers
aligned on the right) and their typesetting with rules or shading."""
from typing import List, Optional

import numpy as np

from . import words
from .fonts import Face, vmetrics
from .page import Page
from .styles import TABLE_STYLES
from .typeset import place_line


def _cell_number(rng: np.random.Generator, kind: int, scale: float) -> str:
    v = rng.normal(0, 1) * scale
    if kind == 0:
        return f'{abs(v) * 100:,.0f}'
    if kind == 1:
        return f'{v:.2f}'
    if kind == 2:
        return f'{abs(v) * 10 % 100:.1f}%'
    if kind == 3:
        return f'({abs(v) * 100:,.0f})' if v < 0 else f'{v * 100:,.0f}'
    return f'{abs(v):.3f}'


class Table:
    """A table's content and layout, drawn by :meth:`draw`.

    Args:
        rng (np.random.Generator): Random source.
        width (float): Available width in points.
        size (float): Body font size.
        body (Face): Face of the cells.
        bold (Face): Face of the header.
        domain (str): Page type, for the vocabulary of the labels.
    """

    def __init__(self, rng: np.random.Generator, width: float, size: float,
                 body: Face, bold: Face, domain: str = '') -> None:
        self.size = size * float(rng.uniform(0.8, 0.95))
        self.body, self.bold = body, bold
        n_rows = int(rng.integers(3, 14))
        n_cols = int(rng.integers(2, 7))
        kind = int(rng.integers(5))
        scale = float(10 ** rng.uniform(0, 3))
        self.style = list(TABLE_STYLES)[int(
            rng.choice(len(TABLE_STYLES),
                       p=np.array(list(TABLE_STYLES.values())) /
                       sum(TABLE_STYLES.values())))]
        # column headers, row labels, numeric body
        self.header = [' '.join(words.short_phrase(rng, 1 + int(
            rng.integers(2))))] + [
                (str(2010 + i + int(rng.integers(10)))
                 if domain == 'financial_report' and rng.random() < 0.5 else
                 ' '.join(words.short_phrase(rng, 1 + int(rng.integers(2)))))
                for i in range(n_cols - 1)]
        self.rows = []
        for _ in range(n_rows):
            label = ' '.join(words.short_phrase(rng, 1 + int(rng.integers(3))))
            self.rows.append([label] + [
                _cell_number(rng, kind, scale) for _ in range(n_cols - 1)])
        # a merged group header over the numeric columns (half the time)
        self.group: Optional[tuple] = None
        if n_cols >= 3 and rng.random() < 0.5:
            a = 1
            b = int(rng.integers(a + 1, n_cols + 1))
            self.group = (a, b, ' '.join(words.short_phrase(rng, 2)))
        self.total = rng.random() < 0.3
        self._layout(width, rng)

    def _clean(self) -> None:
        fix = [self.body.clean, self.bold.clean]
        self.header = [fix[1](h) for h in self.header]
        self.rows = [[fix[0](c) for c in r] for r in self.rows]
        if self.group:
            self.group = self.group[:2] + (fix[1](self.group[2]), )

    def _layout(self, width: float, rng: np.random.Generator) -> None:
        self._clean()
        s = self.size
        pad = s * float(rng.uniform(0.5, 1.0))
        cols = len(self.header)
        need = [0.0] * cols
        for j in range(cols):
            need[j] = max([self.bold.width(self.header[j], s)] +
                          [self.body.width(r[j], s) for r in self.rows])
        while sum(need) + 2 * pad * cols > width and self.size > 5:
            f = width / (sum(need) + 2 * pad * cols)
            self.size *= max(0.7, f)
            need = [n * max(0.7, f) for n in need]
            s = self.size
            pad *= max(0.7, f)
        natural = sum(need) + 2 * pad * cols
        self.width = min(width, max(natural, width * float(
            rng.uniform(0.55, 1.0))))
        spare = (self.width - natural) / cols
        self.col_w = [n + 2 * pad + spare for n in need]
        self.pad = pad
        self.row_h = s * float(rng.uniform(1.35, 1.8))
        n_head = 2 if self.group else 1
        self.height = self.row_h * (n_head + len(self.rows)) + 2

    def draw(self, page: Page, x: float, y: float) -> List[float]:
        """Draw with the top-left corner at ``(x, y)``; returns the box."""
        s, rh, pad = self.size, self.row_h, self.pad
        asc, _ = vmetrics(s)
        xs = np.concatenate([[x], x + np.cumsum(self.col_w)])
        gray = (0.85, 0.85, 0.85)
        rule = 0.4 if self.style != 'booktabs' else 0.3
        cy = y
        if self.style == 'booktabs':
            page.line(x, cy, xs[-1], cy, 0.9)
        heads = []
        if self.group:
            a, b, text = self.group
            heads.append(('group', a, b, text))
        heads.append(('head', 0, 0, ''))
        for kind, a, b, text in heads:
            base = cy + (rh - s) / 2 + asc * 0.95
            if kind == 'group':
                w = self.bold.width(text, s)
                cx = (xs[a] + xs[b]) / 2 - w / 2
                page.text([(text, self.bold, cx, w)], base, s)
                page.line(xs[a] + pad / 2, cy + rh - 1, xs[b] - pad / 2,
                          cy + rh - 1, rule)
            else:
                for j, h in enumerate(self.header):
                    w = self.bold.width(h, s)
                    hx = xs[j] + pad if j == 0 else xs[j + 1] - pad - w
                    page.text([(h, self.bold, hx, w)], base, s)
            cy += rh
        if self.style in ('booktabs', 'header', 'zebra'):
            page.line(x, cy, xs[-1], cy, 0.5)
        top_body = cy
        for i, row in enumerate(self.rows):
            if self.style == 'zebra' and i % 2 == 0:
                page.rect(x, cy, xs[-1], cy + rh, fill=gray)
            base = cy + (rh - s) / 2 + asc * 0.95
            last = self.total and i == len(self.rows) - 1
            for j, c in enumerate(row):
                fc = self.bold if last else self.body
                w = fc.width(c, s)
                cx = xs[j] + pad if j == 0 else xs[j + 1] - pad - w
                page.text(place_line([(c, fc, w)], cx, w, s, 'left'), base,
                          s)
            cy += rh
        if self.total:
            page.line(x, cy - rh, xs[-1], cy - rh, 0.4)
        if self.style in ('booktabs', 'header'):
            page.line(x, cy, xs[-1], cy, 0.9 if self.style == 'booktabs'
                      else 0.5)
        if self.style == 'grid':
            for yy in [y] + [y + rh * k for k in range(1, 1 + len(heads))] \
                    + [top_body + rh * (k + 1)
                       for k in range(len(self.rows))]:
                page.line(x, yy, xs[-1], yy, rule)
            for xx in xs:
                page.line(xx, y, xx, cy, rule)
        return [x, y - 0.5, xs[-1], cy + 0.5]
