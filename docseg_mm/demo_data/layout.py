# Copyright (c) docseg_mm contributors. All rights reserved.
"""Page layout sampling and composition.

A :class:`PageStyle` holds everything that is constant over a document
(columns, fonts, margins, which elements are frequent); :func:`render_page`
composes one page from blocks built by :mod:`.render` and :mod:`.pictures`:

* page header / footer lines in the top / bottom margin,
* an optional title section (title, authors, abstract) over the full width,
* optional full-width figures or tables on multi-column pages,
* footnotes at the bottom of a column above a short rule,
* columns filled top to bottom with paragraphs, section headers, lists,
  formulas, figures and tables.

Blocks never overlap and are separated by gaps, so every annotation is the
tight box of the ink inside its block region.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .classes import DOCLAYNET_CLASSES, PAGE_TYPES
from .pictures import picture
from .render import (Block, Item, caption, footnotes, formula, line_items,
                     list_block, paragraph, single_line, stack, table,
                     text_height)
from .text import (SANS_FONTS, SERIF_FONTS, TextStyle, page_number_text,
                   title_words)

#: Default page size (width, height), about the US-letter aspect ratio.
DEFAULT_PAGE_SIZE: Tuple[int, int] = (448, 576)
#: Reference page height all sizes in this module are given for.
_REF_H = 576.0
#: Smallest side of any box at the reference page height (scaled with the
#: page height). One-line boxes (page numbers, headers, one-line captions or
#: list items) are padded symmetrically around their ink up to this size. The
#: demo model sees pages resized to ~320-400 px (long side), where this is
#: still ~8-10 px.
MIN_BOX_SIDE = 14
#: Gray level below which a pixel counts as ink of an element.
INK_THRESHOLD = 250

Annotation = Dict[str, object]


@dataclass
class PageStyle:
    """Document-level look of pages. Sample it with :func:`sample_style`.

    Lengths are pixels of the page (``unit`` = page height / 576 converts
    reference sizes). The main fields: ``margins`` (left, top, right,
    bottom), ``n_cols`` and ``gutter`` (columns), the text styles ``body``,
    ``heading`` (section headers), ``title``, ``small`` (captions,
    footnotes, table cells) and ``running`` (page header / footer),
    ``weights`` (relative frequency of the column blocks ``text``,
    ``section``, ``list``, ``formula``, ``figure``, ``table``) and the
    ``p_*`` probabilities of page-level elements.
    """
    page_type: str
    page_size: Tuple[int, int]
    unit: float
    margins: Tuple[int, int, int, int]  # left, top, right, bottom
    n_cols: int
    gutter: int
    body: TextStyle
    heading: TextStyle
    title: TextStyle
    small: TextStyle
    running: TextStyle
    align: str = 'justify'
    first_indent: int = 0
    para_gap: int = 6
    para_lines: Tuple[int, int] = (2, 9)
    heading_kind: str = 'numbered'
    heading_align: str = 'left'
    title_align: str = 'center'
    title_caps: bool = False
    weights: Dict[str, float] = field(default_factory=dict)
    p_header: float = 0.8
    p_footer: float = 0.6
    p_title: float = 0.25
    p_footnotes: float = 0.2
    p_span: float = 0.0
    header_rule: bool = False
    header_layout: str = 'left_right'
    footer_layout: str = 'center'
    running_title: str = ''
    running_extra: str = ''
    number_format: str = 'plain'
    table_kinds: Tuple[str, ...] = ('booktabs', )
    picture_kinds: Tuple[str, ...] = ('photo', 'plot', 'diagram')
    bullets: Tuple[str, ...] = ('disc', )
    nested_lists: bool = False
    caption_label: str = 'Figure'
    table_caption: float = 0.9
    picture_caption: float = 0.9
    caption_full_width: bool = True
    para_lead: bool = False
    p_eq_number: float = 0.7
    paper: Tuple[int, int, int] = (255, 255, 255)

    def u(self, v: float) -> int:
        """``v`` reference pixels at this page's scale (at least 1)."""
        return max(1, int(round(v * self.unit)))


def _style(rng: np.random.Generator, fonts: Sequence[int],
           scale: Tuple[float, float], unit: float, **kwargs) -> TextStyle:
    font = int(fonts[int(rng.integers(len(fonts)))])
    return TextStyle(
        font=font, scale=float(rng.uniform(*scale)) * unit, **kwargs)


def _ink(rng: np.random.Generator) -> Tuple[int, int, int]:
    v = int(rng.integers(0, 45))
    return (v, v, v)


def sample_style(rng: np.random.Generator,
                 page_type: str,
                 page_size: Tuple[int, int] = DEFAULT_PAGE_SIZE) -> PageStyle:
    """Sample the look of a document of ``page_type``.

    Args:
        rng (np.random.Generator): Random source.
        page_type (str): One of :data:`PAGE_TYPES`.
        page_size (tuple): ``(width, height)``. Defaults to
            :data:`DEFAULT_PAGE_SIZE`.

    Returns:
        PageStyle: The style.
    """
    if page_type not in PAGE_TYPES:
        raise ValueError(
            f'page_type must be one of {PAGE_TYPES}, got {page_type!r}')
    W, H = page_size
    unit = H / _REF_H
    ink = _ink(rng)
    choice = lambda seq: seq[int(rng.integers(len(seq)))]  # noqa: E731
    run_words = ' '.join(title_words(rng, int(rng.integers(2, 5))))

    if page_type == 'scientific_article':
        body = _style(
            rng,
            SERIF_FONTS, (0.29, 0.33),
            unit,
            color=ink,
            leading=float(rng.uniform(1.15, 1.3)))
        n_cols = 2 if rng.random() < 0.8 else 1
        kw = dict(
            heading=body.replace(
                scale=body.scale * rng.uniform(1.25, 1.4), thickness=2),
            title=_style(
                rng, (cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_DUPLEX),
                (0.75, 0.9),
                unit,
                thickness=2,
                color=ink),
            align='justify',
            heading_kind=choice(('numbered', 'numbered', 'plain')),
            weights=dict(
                text=0.42,
                section=0.16,
                formula=0.14,
                figure=0.12,
                table=0.09,
                list=0.05),
            p_header=0.75,
            p_footer=0.35,
            p_title=0.35,
            p_footnotes=0.3,
            p_span=0.3 if n_cols > 1 else 0.0,
            header_rule=rng.random() < 0.4,
            header_layout=choice(('left_right', 'center', 'left_right')),
            footer_layout='center',
            table_kinds=('booktabs', 'booktabs', 'grid'),
            picture_kinds=('plot', 'plot', 'bars', 'diagram', 'photo', 'pie'),
            bullets=('disc', 'number', 'dash'),
            caption_label=choice(('Figure', 'Fig.')),
            caption_full_width=True,
            running_extra=f'Vol. {int(rng.integers(1, 60))}, '
            f'{int(rng.integers(1995, 2024))}',
            p_eq_number=0.85,
            first_indent=int(rng.integers(0, 2)) * 10)
    elif page_type == 'financial_report':
        body = _style(
            rng,
            SANS_FONTS, (0.31, 0.35),
            unit,
            color=ink,
            leading=float(rng.uniform(1.2, 1.35)))
        n_cols = int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))
        accent = choice(((120, 60, 10), (90, 90, 10), (40, 40, 140), ink))
        kw = dict(
            heading=body.replace(
                scale=body.scale * rng.uniform(1.45, 1.65),
                thickness=2,
                color=accent),
            title=_style(
                rng, SANS_FONTS, (0.85, 1.05), unit, thickness=2,
                color=accent),
            align=choice(('left', 'justify')),
            heading_kind='plain',
            title_align='left',
            weights=dict(
                text=0.36, section=0.15, table=0.27, figure=0.14, list=0.08),
            p_header=0.85,
            p_footer=0.85,
            p_title=0.3,
            p_footnotes=0.2,
            p_span=0.35 if n_cols > 1 else 0.0,
            header_rule=rng.random() < 0.6,
            header_layout=choice(('left_right', 'left', 'right')),
            footer_layout=choice(('left_right', 'right', 'center')),
            table_kinds=('rows', 'shaded', 'booktabs'),
            picture_kinds=('bars', 'bars', 'plot', 'pie', 'photo'),
            bullets=('disc', 'square', 'dash'),
            caption_label=choice(('Chart', 'Figure')),
            caption_full_width=False,
            table_caption=0.5,
            picture_caption=0.6,
            p_eq_number=0.0,
            running_extra=f'Annual Report {int(rng.integers(2005, 2024))}')
    elif page_type == 'manual':
        body = _style(
            rng,
            SANS_FONTS, (0.31, 0.35),
            unit,
            color=ink,
            leading=float(rng.uniform(1.2, 1.35)))
        n_cols = 1 if rng.random() < 0.6 else 2
        kw = dict(
            heading=body.replace(
                scale=body.scale * rng.uniform(1.4, 1.6), thickness=2),
            title=_style(
                rng, SANS_FONTS, (0.85, 1.0), unit, thickness=2, color=ink),
            align='left',
            heading_kind=choice(('numbered', 'numbered', 'plain')),
            title_align='left',
            weights=dict(
                text=0.3,
                section=0.15,
                list=0.25,
                figure=0.2,
                table=0.08,
                formula=0.02),
            p_header=0.7,
            p_footer=0.85,
            p_title=0.3,
            p_footnotes=0.15,
            p_span=0.2 if n_cols > 1 else 0.0,
            header_rule=rng.random() < 0.7,
            header_layout=choice(('left', 'left_right', 'right')),
            footer_layout=choice(('center', 'left_right')),
            table_kinds=('grid', 'grid', 'shaded'),
            picture_kinds=('diagram', 'screenshot', 'screenshot', 'photo',
                           'round_photo', 'line_art'),
            bullets=('number', 'disc', 'square', 'number'),
            caption_label=choice(('Figure', 'Fig.')),
            caption_full_width=False,
            table_caption=0.6,
            picture_caption=0.75,
            p_eq_number=0.3,
            running_extra='User Manual')
    elif page_type == 'patent':
        body = _style(
            rng,
            SERIF_FONTS, (0.29, 0.32),
            unit,
            color=ink,
            leading=float(rng.uniform(1.15, 1.25)))
        n_cols = 2 if rng.random() < 0.9 else 1
        kw = dict(
            heading=body.replace(scale=body.scale * 1.15, thickness=2),
            title=_style(
                rng, SERIF_FONTS, (0.6, 0.7), unit, thickness=2, color=ink),
            align='justify',
            heading_kind='caps',
            heading_align='center',
            title_caps=True,
            weights=dict(
                text=0.72, section=0.1, formula=0.06, table=0.04, list=0.08),
            p_header=0.95,
            p_footer=0.1,
            p_title=0.15,
            p_footnotes=0.0,
            p_span=0.0,
            header_rule=False,
            header_layout='left_right',
            footer_layout='center',
            table_kinds=('grid', 'booktabs'),
            picture_kinds=('line_art', ),
            bullets=('number', ),
            caption_label='FIG.',
            para_lead=True,
            para_gap=max(3, round(4 * unit)),
            p_eq_number=0.5,
            number_format='plain',
            running_title=f'US {int(rng.integers(2000, 2024))}/'
            f'{int(rng.integers(0, 999999)):07d} A1',
            running_extra=f'{choice(("Jan.", "Mar.", "Jun.", "Nov."))} '
            f'{int(rng.integers(1, 29))}, {int(rng.integers(2000, 2024))}')
    else:  # law_regulation
        body = _style(
            rng,
            SERIF_FONTS, (0.31, 0.35),
            unit,
            color=ink,
            leading=float(rng.uniform(1.2, 1.35)))
        n_cols = 1 if rng.random() < 0.85 else 2
        kw = dict(
            heading=body.replace(
                scale=body.scale * rng.uniform(1.2, 1.35), thickness=2),
            title=_style(
                rng, SERIF_FONTS, (0.6, 0.72), unit, thickness=2, color=ink),
            align='justify',
            heading_kind='article',
            heading_align='center',
            title_caps=True,
            weights=dict(
                text=0.4, section=0.22, list=0.33, table=0.03, formula=0.02),
            p_header=0.7,
            p_footer=0.8,
            p_title=0.3,
            p_footnotes=0.45,
            p_span=0.0,
            header_rule=rng.random() < 0.5,
            header_layout=choice(('center', 'left_right')),
            footer_layout='center',
            table_kinds=('grid', ),
            picture_kinds=('photo', ),
            bullets=('alpha', 'paren_number', 'dash'),
            nested_lists=True,
            caption_label='Figure',
            p_eq_number=0.2,
            running_extra=
            f'{int(rng.integers(1, 28))}.{int(rng.integers(1, 13))}.'
            f'{int(rng.integers(1995, 2024))}')
    kw.setdefault('running_title', run_words)
    ml = int(W * rng.uniform(0.065, 0.095)) if n_cols < 3 else int(W * 0.06)
    mr = ml + int(rng.integers(-3, 4))
    mt = int(unit * rng.uniform(44, 56))
    mb = int(unit * rng.uniform(40, 52))
    small = body.replace(scale=body.scale * rng.uniform(0.86, 0.93))
    if page_type == 'scientific_article' and rng.random() < 0.5:
        small = small.replace(font=small.font | cv2.FONT_ITALIC)
    running = body.replace(
        scale=unit * rng.uniform(0.35, 0.4),
        font=int(SANS_FONTS[0] if rng.random() < 0.5 else body.font),
        color=tuple(int(min(255, c + rng.integers(0, 50))) for c in ink))
    if rng.random() < 0.3:
        running = running.replace(font=running.font | cv2.FONT_ITALIC)
    tint = 255 - rng.integers(0, 10) - np.array([rng.integers(0, 8), 0, 0])
    return PageStyle(
        page_type=page_type,
        page_size=(W, H),
        unit=unit,
        margins=(ml, mt, mr, mb),
        n_cols=n_cols,
        gutter=int(unit * rng.uniform(12, 20)),
        body=body,
        small=small,
        running=running,
        number_format=kw.pop('number_format', None)
        or ('plain', 'dash', 'page', 'plain')[int(rng.integers(4))],
        para_gap=kw.pop('para_gap',
                        int(round(body.pitch * rng.uniform(0.5, 0.9)))),
        paper=tuple(int(v) for v in np.clip(tint, 240, 255)),
        **kw)


class _Composer:
    """Places blocks on one page and turns their items into annotations."""

    def __init__(self, rng: np.random.Generator, style: PageStyle,
                 page_no: int):
        self.rng = rng
        self.s = style
        self.page_no = page_no
        W, H = style.page_size
        self.canvas = np.full((H, W, 3), 255, np.uint8)
        self.items: List[Item] = []
        self.fig_no = int(rng.integers(1, 9))
        self.tab_no = int(rng.integers(1, 7))
        self.eq_no = int(rng.integers(1, 20))
        self.sec_no = int(rng.integers(1, 8))
        self.sub_no = int(rng.integers(0, 4))
        self.para_no = int(rng.integers(1, 120))
        self.note_no = int(rng.integers(1, 15))

    # ------------------------------------------------------------------ utils
    def place(self, block: Block, x: int, y: int) -> None:
        h, w = block.img.shape[:2]
        H, W = self.canvas.shape[:2]
        h, w = min(h, H - y), min(w, W - x)
        if h <= 0 or w <= 0:
            return
        region = self.canvas[y:y + h, x:x + w]
        np.minimum(region, block.img[:h, :w], out=region)
        self.items += [it.shifted(x, y) for it in block.items]

    def hrule(self, x0: int, x1: int, y: int, thickness: int = 1) -> None:
        cv2.line(self.canvas, (x0, y), (x1, y), self.s.body.color, thickness)

    # ------------------------------------------------------------ text blocks
    def heading_text(self) -> str:
        s, rng = self.s, self.rng
        n = int(rng.integers(1, 5))
        if s.heading_kind == 'caps':
            return ' '.join(title_words(rng, n + 1, upper=True))
        if s.heading_kind == 'article':
            word = 'Article' if rng.random() < 0.7 else 'Section'
            self.sec_no += 1
            extra = ' '.join(title_words(rng, n)) if rng.random() < 0.4 else ''
            return f'{word} {self.sec_no}' + (f' - {extra}' if extra else '')
        words = ' '.join(title_words(rng, n + 1))
        if s.heading_kind == 'numbered':
            if rng.random() < 0.45:
                self.sec_no += 1
                self.sub_no = 0
                return f'{self.sec_no} {words}' if rng.random() < 0.5 \
                    else f'{self.sec_no}. {words}'
            self.sub_no += 1
            return f'{self.sec_no}.{self.sub_no} {words}'
        return words

    def text(self,
             width: int,
             max_h: int,
             first: bool = False) -> Optional[Block]:
        s, rng = self.s, self.rng
        n = int(rng.integers(s.para_lines[0], s.para_lines[1] + 1))
        fits = (max_h - s.body.height) // s.body.pitch + 1
        truncated = n > fits
        n = min(n, fits)
        if n < 1:
            return None
        lead = ()
        if s.para_lead:
            self.para_no += 1
            lead = (f'[{self.para_no:04d}]', )
        indent = 0 if first or not s.first_indent else s.u(s.first_indent)
        return paragraph(
            rng,
            s.body,
            width,
            n,
            align=s.align,
            first_indent=indent,
            lead=lead,
            bold_lead=True,
            ragged_end=not truncated)

    def section(self, width: int, max_h: int) -> Optional[Block]:
        s = self.s
        head = single_line(self.heading_text(), s.heading, width,
                           'Section-header', s.heading_align)
        gap = max(s.u(5), s.body.pitch // 2)
        if head is None:
            return None
        rest = max_h - head.height - gap
        if rest < text_height(2, s.body):
            return None
        para = self.text(width, rest, first=True)
        if para is None:
            return None
        return stack([head, para], [gap], width, 'left')

    def list(self, width: int, max_h: int) -> Optional[Block]:
        s, rng = self.s, self.rng
        bullet = s.bullets[int(rng.integers(len(s.bullets)))]
        n = int(rng.integers(2, 7))
        levels = None
        if s.nested_lists and rng.random() < 0.4:
            levels = [int(i > 0 and rng.random() < 0.4) for i in range(n)]
        return list_block(
            rng,
            s.body,
            width,
            n,
            max_h,
            bullet=bullet,
            indent=s.u(rng.uniform(6, 20)),
            text_offset=s.u(14),
            item_gap=max(s.u(5), int(s.body.pitch * 0.45)),
            levels=levels,
            level_indent=s.u(18),
            start=0 if rng.random() < 0.8 else int(rng.integers(1, 6)),
            sub_bullet='roman' if s.bullets[0] == 'alpha' else 'dash')

    def formula(self, width: int, max_h: int) -> Optional[Block]:
        s = self.s
        eq = None
        if self.rng.random() < s.p_eq_number:
            eq = self.eq_no
            self.eq_no += 1
        blk = formula(self.rng, s.body, width, eq)
        return blk if blk is not None and blk.height <= max_h else None

    def _caption(self, label: str, width: int) -> Optional[Block]:
        rng = self.rng
        n = 1 + int(rng.random() < 0.45) + int(rng.random() < 0.15)
        return caption(
            rng,
            self.s.small,
            width,
            label,
            n,
            align='center' if rng.random() < 0.7 else 'left')

    def figure(self, width: int, max_h: int) -> Optional[Block]:
        s, rng = self.s, self.rng
        kind = s.picture_kinds[int(rng.integers(len(s.picture_kinds)))]
        if kind == 'pie':
            pw = int(min(width * rng.uniform(0.4, 0.6), s.u(170)))
            ph = pw
        elif kind == 'round_photo':
            pw = int(width * rng.uniform(0.45, 0.7))
            ph = int(pw * rng.uniform(0.7, 1.0))
        else:
            pw = int(width *
                     (1.0 if rng.random() < 0.35 else rng.uniform(0.6, 1.0)))
            ph = int(pw * rng.uniform(0.45, 0.8))
        cap = None
        gap = s.u(rng.uniform(5, 8))
        if rng.random() < s.picture_caption:
            sep = str(rng.choice([':', '.']))
            label = f'{s.caption_label} {self.fig_no}' + \
                ('' if s.caption_label == 'FIG.' else sep)
            cw = width if s.caption_full_width else max(
                pw, min(width, s.u(150)))
            cap = self._caption(label, cw)
            self.fig_no += 1
        cap_h = cap.height + gap if cap is not None else 0
        if ph + cap_h > max_h:
            ph = max_h - cap_h
            if kind in ('pie', 'round_photo'):
                pw = min(pw, ph)
        if ph < s.u(50) or pw < s.u(50):
            return None
        pic = picture(rng, kind, pw, ph, s.small)
        if cap is None:
            return stack([pic], [], width)
        return stack([pic, cap], [gap], width)

    def table(self, width: int, max_h: int) -> Optional[Block]:
        s, rng = self.s, self.rng
        tw = width if rng.random() < 0.6 or width < s.u(200) else \
            int(width * rng.uniform(0.75, 1.0))
        cap = None
        gap = s.u(rng.uniform(5, 8))
        if rng.random() < s.table_caption:
            cap = self._caption(
                f'Table {self.tab_no}' + str(rng.choice([':', '.'])), tw)
            self.tab_no += 1
        cap_h = cap.height + gap if cap is not None else 0
        kind = s.table_kinds[int(rng.integers(len(s.table_kinds)))]
        n_cols = None if width > s.u(200) else int(rng.integers(2, 5))
        cell = s.small.replace(font=s.small.font & ~cv2.FONT_ITALIC)
        tab = table(
            rng,
            cell,
            tw,
            max_h - cap_h,
            kind,
            n_cols=n_cols,
            rule_color=s.body.color)
        if tab is None:
            return None
        if cap is None:
            return stack([tab], [], width)
        if rng.random() < 0.85:
            return stack([cap, tab], [gap], width)
        return stack([tab, cap], [gap], width)

    def build(self,
              kind: str,
              width: int,
              max_h: int,
              first: bool = False) -> Optional[Block]:
        if max_h <= 0:
            return None
        if kind == 'text':
            return self.text(width, max_h, first)
        return getattr(self, kind)(width, max_h)

    # ----------------------------------------------------------------- layout
    def gap(self, prev: str, kind: str) -> int:
        s = self.s
        if kind == 'section':
            return int(s.body.pitch * 1.2) + s.para_gap // 2
        if prev in ('figure', 'table',
                    'formula') or kind in ('figure', 'table', 'formula'):
            return max(s.para_gap, int(s.body.pitch * 0.9))
        if kind == 'list' or prev == 'list':
            return max(s.para_gap, s.u(6))
        return max(s.para_gap, s.u(4))

    def choose(self, prev: str, remaining: int) -> str:
        s, rng = self.s, self.rng
        kinds = [k for k, w in s.weights.items() if w > 0]
        w = np.array([s.weights[k] for k in kinds], float)
        for i, k in enumerate(kinds):
            if k != 'text' and k == prev:
                w[i] = 0.0
            if k == 'section' and remaining < s.body.pitch * 4:
                w[i] = 0.0
            if k in ('figure', 'table') and remaining < s.u(80):
                w[i] = 0.0
        if w.sum() <= 0:
            return 'text'
        return kinds[int(rng.choice(len(kinds), p=w / w.sum()))]

    def fill_column(self, x: int, y: int, bottom: int, width: int) -> None:
        s = self.s
        prev = 'start'
        while bottom - y >= s.body.height + 2:
            kind = 'text' if prev == 'start' and self.rng.random() < 0.5 \
                else self.choose(prev, bottom - y)
            gap = 0 if prev == 'start' else self.gap(prev, kind)
            blk = self.build(kind, width, bottom - y - gap, prev == 'start')
            if blk is None and kind != 'text':
                kind = 'text'
                gap = 0 if prev == 'start' else self.gap(prev, kind)
                blk = self.build(kind, width, bottom - y - gap,
                                 prev == 'start')
            if blk is None:
                break
            self.place(blk, x, y + gap)
            y += gap + blk.height
            prev = kind

    def running_line(self, category: str, layout: str, y: int) -> int:
        """Draw a page header/footer line at ``y``; return its height."""
        s, rng = self.s, self.rng
        ml, _, mr, _ = s.margins
        W = s.page_size[0]
        num = page_number_text(rng, self.page_no, s.number_format)
        use_title = category == 'Page-header' or rng.random() < 0.5
        title = s.running_title if use_title else s.running_extra
        outer = 'right' if self.page_no % 2 else 'left'
        inner = 'left' if outer == 'right' else 'right'
        if s.page_type == 'patent' and category == 'Page-header':
            parts = [(s.running_title, 'left'), (s.running_extra, 'right')]
            if rng.random() < 0.6:
                parts.append(
                    (f'Sheet {self.page_no % 9 + 1} of 9'
                     if rng.random() < 0.3 else str(self.page_no), 'center'))
        elif layout == 'left_right':
            parts = [(title, inner), (num, outer)]
        elif layout == 'center':
            parts = [(title if category == 'Page-header' else num, 'center')]
        elif layout == 'left':
            parts = [(title, 'left')]
        else:  # 'right'
            parts = [(title, 'right')]
        blk = line_items(parts, s.running, W - ml - mr, category)
        self.place(blk, ml, y)
        return blk.height

    def title_section(self, x: int, y: int, width: int) -> int:
        """Title (+ authors and abstract for articles); return the new y."""
        s, rng = self.s, self.rng
        n_lines = 1 + int(rng.random() < 0.5)
        words = title_words(
            rng, int(rng.integers(4, 9)) * n_lines, upper=s.title_caps)
        tit = paragraph(
            rng,
            s.title,
            width,
            n_lines,
            'Title',
            s.title_align,
            words=words,
            ragged_end=False)
        if tit is None:
            return y
        blocks, gaps = [tit], []
        if s.page_type == 'scientific_article':
            authors = ', '.join(' '.join(title_words(rng, 2))
                                for _ in range(int(rng.integers(2, 5))))
            a = paragraph(
                rng,
                s.body.replace(scale=s.body.scale * 1.1),
                width,
                1,
                align='center',
                words=authors.split(),
                ragged_end=False)
            aff = paragraph(
                rng,
                s.small,
                width,
                1 + int(rng.random() < 0.5),
                align='center',
                words=title_words(rng, 24),
                ragged_end=False)
            blocks += [a, aff]
            gaps += [s.u(8), s.u(4)]
            if rng.random() < 0.7:
                aw = int(width * rng.uniform(0.8, 0.92))
                head = single_line('Abstract', s.heading, aw, 'Section-header',
                                   'center' if rng.random() < 0.5 else 'left')
                ab = paragraph(rng, s.body, aw, int(rng.integers(4, 9)))
                blocks += [head, ab]
                gaps += [s.u(12), s.u(5)]
        elif s.page_type == 'law_regulation' and rng.random() < 0.7:
            sub = paragraph(
                rng,
                s.body,
                int(width * 0.85),
                1 + int(rng.random() < 0.5),
                align='center',
                ragged_end=False)
            blocks.append(sub)
            gaps.append(s.u(8))
        blk = stack([b for b in blocks if b is not None],
                    [g for b, g in zip(blocks[1:], gaps) if b is not None],
                    width)
        self.place(blk, x, y)
        return y + blk.height


def _ink_boxes(canvas: np.ndarray, items: Sequence[Item],
               min_side: int) -> List[Annotation]:
    """Tight boxes (and polygons) of the ink inside each item's region."""
    H, W = canvas.shape[:2]
    darkest = cv2.min(
        cv2.min(canvas[:, :, 0], canvas[:, :, 1]), canvas[:, :, 2])
    ink = (darkest < INK_THRESHOLD).view(np.uint8)
    anns: List[Annotation] = []
    for it in items:
        x0, y0, x1, y1 = it.region
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
        if x1 <= x0 or y1 <= y0:
            continue
        cx, cy, cw, ch = cv2.boundingRect(ink[y0:y1, x0:x1])
        if cw == 0 or ch == 0:
            continue
        bx0, bx1 = x0 + cx, x0 + cx + cw
        by0, by1 = y0 + cy, y0 + cy + ch
        # Enforce the minimum side (tiny page numbers, one-line items).
        if bx1 - bx0 < min_side:
            bx0 = max(0, bx0 - (min_side - (bx1 - bx0)) // 2)
            bx1 = min(W, bx0 + min_side)
        if by1 - by0 < min_side:
            by0 = max(0, by0 - (min_side - (by1 - by0)) // 2)
            by1 = min(H, by0 + min_side)
        if it.polygon is not None:
            poly = np.asarray(it.polygon, np.float64).copy()
            poly[:, 0] = np.clip(poly[:, 0], bx0, bx1)
            poly[:, 1] = np.clip(poly[:, 1], by0, by1)
        else:
            poly = np.array([[bx0, by0], [bx1, by0], [bx1, by1], [bx0, by1]],
                            np.float64)
        anns.append(
            dict(
                category=it.category,
                bbox=[
                    float(bx0),
                    float(by0),
                    float(bx1 - bx0),
                    float(by1 - by0)
                ],
                segmentation=[[round(float(v), 2) for v in poly.reshape(-1)]]))
    return anns


def render_page(
    rng: np.random.Generator,
    page_size: Tuple[int, int] = DEFAULT_PAGE_SIZE,
    page_type: str = 'scientific_article',
    *,
    style: Optional[PageStyle] = None,
    page_no: Optional[int] = None,
    full_bleed: Optional[bool] = None,
) -> Tuple[np.ndarray, List[Annotation]]:
    """Render one synthetic document page with DocLayNet annotations.

    Args:
        rng (np.random.Generator): Random source; the page is a pure function
            of its state and the other arguments.
        page_size (tuple): ``(width, height)`` in pixels. Defaults to
            :data:`DEFAULT_PAGE_SIZE` (448 x 576).
        page_type (str): One of :data:`PAGE_TYPES`. Defaults to
            ``'scientific_article'``.
        style (PageStyle, optional): Document style shared by the pages of
            one document; sampled from ``rng`` when omitted. Defaults to None.
        page_no (int, optional): Page number printed in headers/footers;
            random when omitted. Defaults to None.
        full_bleed (bool, optional): Put a photo banner touching the top and
            side page edges at the top of the page (instead of the page
            header). None decides at random (rare, reports and manuals
            only). Defaults to None.

    Returns:
        tuple: ``(image, annotations)``: ``image`` is an ``H x W x 3`` uint8
        BGR array; ``annotations`` is a list of dicts with ``category``
        (a name of :data:`DOCLAYNET_CLASSES`), ``bbox`` (``[x, y, w, h]``,
        tight around the ink) and ``segmentation`` (``[[x1, y1, ...]]``,
        inside the bbox).
    """
    W, H = int(page_size[0]), int(page_size[1])
    if style is None:
        style = sample_style(rng, page_type, (W, H))
    elif style.page_size != (W, H) or style.page_type != page_type:
        raise ValueError('style was sampled for another page size or type')
    if page_no is None:
        page_no = int(rng.integers(1, 250))
    s = style
    c = _Composer(rng, s, page_no)
    ml, mt, mr, mb = s.margins
    text_w = W - ml - mr
    body_top, body_bottom = mt, H - mb
    if full_bleed is None:
        full_bleed = s.page_type in ('financial_report', 'manual') and \
            rng.random() < 0.06
    drawing_sheet = s.page_type == 'patent' and rng.random() < 0.12

    # Page header / banner and footer in the margins.
    if full_bleed:
        bh = int(H * rng.uniform(0.16, 0.26))
        c.place(picture(rng, 'photo', W, bh, s.small), 0, 0)
        body_top = bh + s.u(18)
    elif rng.random() < s.p_header or drawing_sheet:
        hy = s.u(rng.uniform(14, 22))
        hh = c.running_line('Page-header', s.header_layout, hy)
        if s.header_rule:
            c.hrule(ml, W - mr, hy + hh + s.u(4))
    if rng.random() < s.p_footer:
        fh = s.running.height
        c.running_line('Page-footer', s.footer_layout,
                       H - s.u(rng.uniform(14, 24)) - fh)

    if drawing_sheet:
        _drawing_sheet(c, ml, body_top, text_w, body_bottom)
    else:
        _body(c, ml, body_top, text_w, body_bottom)

    canvas = c.canvas
    anns = _ink_boxes(canvas, c.items, max(6, s.u(MIN_BOX_SIDE)))
    # Multiply the page with the paper tint (white becomes the paper color).
    levels = np.arange(256, dtype=np.uint32)[:, None]
    lut = ((levels * np.array(s.paper, np.uint32) + 127) // 255).astype(
        np.uint8)
    image = cv2.LUT(canvas, lut.reshape(256, 1, 3))
    return image, anns


def _drawing_sheet(c: _Composer, x: int, top: int, width: int,
                   bottom: int) -> None:
    """A patent drawing sheet: one or two line drawings labelled ``FIG. n``."""
    s, rng = c.s, c.rng
    n = 1 + int(rng.random() < 0.6)
    cap_style = s.heading.replace(scale=s.heading.scale * 1.3)
    slot = (bottom - top) // n
    for k in range(n):
        cap = single_line(f'FIG. {c.fig_no}', cap_style, width, 'Caption',
                          'center')
        c.fig_no += 1
        gap = s.u(8)
        ph = int((slot - cap.height - gap - s.u(20)) * rng.uniform(0.75, 1.0))
        pw = int(width * rng.uniform(0.6, 0.95))
        pic = picture(rng, 'line_art', pw, ph, s.body)
        blk = stack([pic, cap], [gap], width)
        c.place(blk, x, top + k * slot + s.u(6))


def _body(c: _Composer, x: int, top: int, width: int, bottom: int) -> None:
    """Title section, spanning floats, footnotes and the columns."""
    s, rng = c.s, c.rng
    if rng.random() < s.p_title:
        top = c.title_section(x, top, width) + s.u(14)
    n_cols = s.n_cols
    col_w = (width - (n_cols - 1) * s.gutter) // n_cols
    has_notes = rng.random() < s.p_footnotes
    if n_cols > 1 and rng.random() < s.p_span:  # a full-width float
        kind = 'figure' if rng.random(
        ) < 0.6 or 'table' not in s.weights else 'table'
        max_h = int((bottom - top) * 0.5)
        blk = c.build(kind, width, max_h)
        if blk is not None:
            if has_notes or rng.random() < 0.6:  # notes stay at the bottom
                c.place(blk, x, top)
                top += blk.height + s.u(14)
            else:
                bottom -= blk.height
                c.place(blk, x, bottom)
                bottom -= s.u(14)
    col_bottoms = [bottom] * n_cols
    if has_notes:
        col = 0 if n_cols > 1 and rng.random() < 0.7 else n_cols - 1
        n = 1 + int(rng.random() < 0.4) + int(rng.random() < 0.15)
        note = footnotes(
            rng,
            s.small,
            col_w,
            n,
            c.note_no,
            gap=s.u(4),
            rule_width=int(col_w * rng.uniform(0.2, 0.4)),
            rule_gap=s.u(4))
        if note is not None and note.height < (bottom - top) * 0.4:
            col_bottoms[col] = bottom - note.height
            c.place(note, x + col * (col_w + s.gutter), col_bottoms[col])
            col_bottoms[col] -= max(s.para_gap, s.u(8))
    if rng.random() < 0.1:  # the end of a chapter: the last column stops early
        col_bottoms[-1] -= int((col_bottoms[-1] - top) * rng.uniform(0.2, 0.6))
    for k in range(n_cols):
        c.fill_column(x + k * (col_w + s.gutter), top, col_bottoms[k], col_w)


__all__ = [
    'DEFAULT_PAGE_SIZE', 'MIN_BOX_SIDE', 'PageStyle', 'sample_style',
    'render_page', 'DOCLAYNET_CLASSES', 'PAGE_TYPES'
]
