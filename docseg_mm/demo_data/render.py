# Copyright (c) docseg_mm contributors. All rights reserved.
"""Drawing primitives: layout blocks of text, lists, tables and formulas.

Every builder draws on its own white canvas whose width is the width it was
given and whose height is what the content needs, and returns a
:class:`Block` with the canvas and the annotated items inside it. The page
composer (:mod:`.layout`) pastes blocks without overlap and later shrinks
each item's region to the ink it contains, so boxes are tight.
"""
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .text import (LINE_TYPE, TextStyle, break_lines, draw_line,
                   measure, put_text, sentence_words, shorten_line,
                   title_words, words_for_lines)

Region = Tuple[int, int, int, int]


@dataclass
class Item:
    """One annotated element inside a block.

    Args:
        category (str): DocLayNet category name.
        region (tuple): ``(x0, y0, x1, y1)`` area that holds the element's
            ink (and no other element's ink), in block coordinates.
        polygon (np.ndarray, optional): ``(N, 2)`` outline for a
            non-rectangular element, in block coordinates. Defaults to None
            (the tight box is the polygon).
    """
    category: str
    region: Region
    polygon: Optional[np.ndarray] = None

    def shifted(self, dx: int, dy: int) -> 'Item':
        """The same item moved by ``(dx, dy)``."""
        x0, y0, x1, y1 = self.region
        poly = None if self.polygon is None else self.polygon + (dx, dy)
        return Item(self.category, (x0 + dx, y0 + dy, x1 + dx, y1 + dy), poly)


@dataclass
class Block:
    """A rendered piece of a page: a canvas and the items drawn on it."""
    img: np.ndarray
    items: List[Item] = field(default_factory=list)

    @property
    def height(self) -> int:
        """Canvas height."""
        return self.img.shape[0]

    @property
    def width(self) -> int:
        """Canvas width."""
        return self.img.shape[1]


def blank(height: int, width: int) -> np.ndarray:
    """A white BGR canvas."""
    return np.full((max(1, int(height)), max(1, int(width)), 3), 255, np.uint8)


def stack(blocks: Sequence[Block],
          gaps: Sequence[int],
          width: int,
          align: str = 'center') -> Block:
    """Stack blocks vertically into one block of ``width``.

    Args:
        blocks (Sequence[Block]): Blocks from top to bottom.
        gaps (Sequence[int]): Vertical gap after each block but the last.
        width (int): Width of the result.
        align (str): Horizontal placement of narrower blocks, ``'center'``
            or ``'left'``. Defaults to ``'center'``.

    Returns:
        Block: The stacked block.
    """
    height = sum(b.height for b in blocks) + sum(gaps[:len(blocks) - 1])
    img = blank(height, width)
    items: List[Item] = []
    y = 0
    for i, b in enumerate(blocks):
        x = (width - b.width) // 2 if align == 'center' else 0
        img[y:y + b.height, x:x + b.width] = b.img
        items += [it.shifted(x, y) for it in b.items]
        y += b.height + (gaps[i] if i < len(gaps) else 0)
    return Block(img, items)


def _draw_lines(img: np.ndarray,
                lines,
                x: int,
                y: int,
                style: TextStyle,
                width: int,
                align: str,
                first_indent: int = 0,
                indent: int = 0,
                last_align: Optional[str] = None) -> int:
    """Draw broken lines from top ``y``; return the y below the last line."""
    for i, line in enumerate(lines):
        off = first_indent if i == 0 else indent
        a = align
        if i == len(lines) - 1 and align == 'justify':
            a = last_align or 'left'
        draw_line(img, line, x + off, y + style.ascent + i * style.pitch,
                  style, width - off, a)
    return y + (len(lines) - 1) * style.pitch + style.height


def text_height(n_lines: int, style: TextStyle) -> int:
    """Height of ``n_lines`` lines of ``style``."""
    return (n_lines - 1) * style.pitch + style.height


def paragraph(rng: np.random.Generator,
              style: TextStyle,
              width: int,
              n_lines: int,
              category: str = 'Text',
              align: str = 'justify',
              first_indent: int = 0,
              lead: Sequence[str] = (),
              bold_lead: bool = False,
              ragged_end: bool = True,
              words: Optional[List[str]] = None) -> Optional[Block]:
    """A paragraph of ``n_lines`` lines as one item.

    Args:
        rng (np.random.Generator): Random source.
        style (TextStyle): Text style.
        width (int): Column width.
        n_lines (int): Number of lines.
        category (str): Category of the item. Defaults to ``'Text'``.
        align (str): ``'justify'``, ``'left'``, ``'center'`` or ``'right'``.
            Defaults to ``'justify'``.
        first_indent (int): First-line indent. Defaults to 0.
        lead (Sequence[str]): Words to start with, e.g. ``['[0012]']``.
            Defaults to ().
        bold_lead (bool): Draw the lead words bold. Defaults to False.
        ragged_end (bool): Shorten the last line as at a paragraph end.
            Defaults to True.
        words (list[str], optional): Use these words instead of random
            sentences. Defaults to None.

    Returns:
        Block | None: The block, or None if nothing fits.
    """
    if n_lines < 1 or width < 20:
        return None
    if words is None:
        words = sentence_words(rng, words_for_lines(n_lines, width, style))
    words = list(lead) + list(words)
    lines = break_lines(
        words,
        style,
        width,
        first_indent,
        bold_prefix=len(lead) if bold_lead else 0)[:n_lines]
    if not lines:
        return None
    if ragged_end:
        frac = rng.uniform(0.25, 0.9) if len(lines) > 1 else rng.uniform(
            0.5, 1)
        lines[-1] = shorten_line(lines[-1], style, frac * width)
    img = blank(text_height(len(lines), style), width)
    _draw_lines(img, lines, 0, 0, style, width, align, first_indent)
    return Block(img, [Item(category, (0, 0, width, img.shape[0]))])


def single_line(text: str,
                style: TextStyle,
                width: int,
                category: str,
                align: str = 'left') -> Optional[Block]:
    """One line of text (headings, captions labels); words that do not fit
    are dropped.

    Args:
        text (str): The text.
        style (TextStyle): Text style.
        width (int): Available width.
        category (str): Category of the item.
        align (str): ``'left'``, ``'center'`` or ``'right'``. Defaults to
            ``'left'``.

    Returns:
        Block | None: The block, or None if not even one word fits.
    """
    lines = break_lines(text.split(), style, width)
    if not lines:
        return None
    img = blank(style.height, width)
    draw_line(img, lines[0], 0, style.ascent, style, width, align)
    return Block(img, [Item(category, (0, 0, width, style.height))])


def line_items(parts: Sequence[Tuple[str, str]], style: TextStyle, width: int,
               category: str) -> Block:
    """A header or footer line of separate pieces (one item per piece).

    Args:
        parts (Sequence[tuple]): ``(text, align)`` pairs with aligns out of
            ``'left'``, ``'center'``, ``'right'``; at most one per align.
        style (TextStyle): Text style.
        width (int): Line width.
        category (str): ``'Page-header'`` or ``'Page-footer'``.

    Returns:
        Block: The block (pieces that do not fit are left out).
    """
    img = blank(style.height, width)
    items = []
    taken: List[Tuple[int, int]] = []
    for text, align in parts:
        w = measure(text, style)
        if w > width:
            continue
        x = {'left': 0, 'right': width - w, 'center': (width - w) // 2}[align]
        if any(x < b + 20 and a < x + w + 20 for a, b in taken):
            continue
        put_text(img, text, x, style.ascent, style)
        taken.append((x, x + w))
        items.append(
            Item(category,
                 (max(0, x - 2), 0, min(width, x + w + 2), style.height)))
    return Block(img, items)


# --------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------
_ROMAN = ('i', 'ii', 'iii', 'iv', 'v', 'vi', 'vii', 'viii', 'ix', 'x')


def bullet_label(kind: str, index: int) -> Optional[str]:
    """The text of a list marker, or None for drawn markers (disc, square)."""
    if kind == 'number':
        return f'{index + 1}.'
    if kind == 'paren_number':
        return f'({index + 1})'
    if kind == 'alpha':
        return f'({chr(ord("a") + index % 26)})'
    if kind == 'roman':
        return f'({_ROMAN[index % len(_ROMAN)]})'
    if kind == 'dash':
        return '-'
    return None


def _draw_bullet(img: np.ndarray, kind: str, index: int, x: int, baseline: int,
                 style: TextStyle) -> None:
    cap = style.cap
    if kind == 'disc':
        r = max(2, int(round(cap * 0.28)))
        cv2.circle(img, (x + r, baseline - cap // 2), r, style.color, -1,
                   LINE_TYPE)
    elif kind == 'square':
        r = max(2, int(round(cap * 0.25)))
        cy = baseline - cap // 2
        cv2.rectangle(img, (x, cy - r), (x + 2 * r, cy + r), style.color, -1)
    elif kind == 'dash':
        w = max(5, int(round(cap * 0.9)))
        cy = baseline - cap // 2
        cv2.line(img, (x, cy), (x + w, cy), style.color,
                 max(1, style.thickness + 1))
    else:
        put_text(img, bullet_label(kind, index) or '', x, baseline, style)


def list_block(rng: np.random.Generator,
               style: TextStyle,
               width: int,
               n_items: int,
               max_height: int,
               bullet: str = 'disc',
               indent: int = 12,
               text_offset: int = 14,
               item_gap: int = 4,
               levels: Optional[Sequence[int]] = None,
               level_indent: int = 18,
               start: int = 0,
               lines_p: Sequence[float] = (0.45, 0.35, 0.2),
               sub_bullet: str = 'dash') -> Optional[Block]:
    """A list; each item (marker + wrapped lines) is one ``List-item``.

    Args:
        rng (np.random.Generator): Random source.
        style (TextStyle): Text style.
        width (int): Column width.
        n_items (int): Number of items wanted.
        max_height (int): Height available; items that do not fit are
            dropped.
        bullet (str): Marker kind: ``'disc'``, ``'square'``, ``'dash'``,
            ``'number'``, ``'paren_number'``, ``'alpha'``, ``'roman'``.
            Defaults to ``'disc'``.
        indent (int): Marker indent from the column's left edge.
            Defaults to 12.
        text_offset (int): Distance from the marker to the text (hanging
            indent). Defaults to 14.
        item_gap (int): Extra vertical gap between items. Defaults to 4.
        levels (Sequence[int], optional): Nesting level per item (0 or 1).
            Defaults to None (all 0).
        level_indent (int): Extra indent per nesting level. Defaults to 18.
        start (int): Index of the first item (for numbered markers).
            Defaults to 0.
        lines_p (Sequence[float]): Probabilities of 1, 2, 3... lines per
            item. Defaults to (0.45, 0.35, 0.2).
        sub_bullet (str): Marker of level-1 items. Defaults to ``'dash'``.

    Returns:
        Block | None: The block, or None if no item fits.
    """
    levels = list(levels) if levels is not None else [0] * n_items
    probs = np.asarray(lines_p, float) / np.sum(lines_p)
    rows = []  # (x_marker, x_text, lines, kind, index)
    height = 0
    counters = [start, 0]
    for i in range(n_items):
        lvl = levels[i] if i < len(levels) else 0
        kind = bullet if lvl == 0 else sub_bullet
        x_marker = indent + lvl * level_indent
        label = bullet_label(kind, counters[lvl])
        off = text_offset
        if label is not None:
            off = max(text_offset, measure(label, style) + style.space + 2)
        x_text = x_marker + off
        n_lines = 1 + int(rng.choice(len(probs), p=probs))
        tw = width - x_text
        if tw < 40:
            return None
        words = sentence_words(rng, words_for_lines(n_lines, tw, style))
        lines = break_lines(words, style, tw)[:n_lines]
        frac = rng.uniform(0.3, 0.95) if len(lines) > 1 else rng.uniform(
            0.35, 1)
        lines[-1] = shorten_line(lines[-1], style, frac * tw)
        h = text_height(len(lines), style)
        need = h + (item_gap if rows else 0)
        if height + need > max_height:
            break
        rows.append((x_marker, x_text, lines, kind, counters[lvl]))
        counters[lvl] += 1
        if lvl == 0:
            counters[1] = 0
        height += need
    if not rows:
        return None
    img = blank(height, width)
    items = []
    y = 0
    for x_marker, x_text, lines, kind, idx in rows:
        _draw_bullet(img, kind, idx, x_marker, y + style.ascent, style)
        y_end = _draw_lines(img, lines, x_text, y, style, width - x_text,
                            'justify' if len(lines) > 1 else 'left')
        items.append(
            Item('List-item', (max(0, x_marker - 2), y, width, y_end)))
        y = y_end + item_gap
    return Block(img, items)


# --------------------------------------------------------------------------
# Captions, footnotes, titles
# --------------------------------------------------------------------------
def caption(rng: np.random.Generator,
            style: TextStyle,
            width: int,
            label: str,
            n_lines: int,
            align: str = 'center') -> Optional[Block]:
    """A figure or table caption with a bold label (``'Figure 3:'``).

    Args:
        rng (np.random.Generator): Random source.
        style (TextStyle): Text style (small).
        width (int): Available width.
        label (str): Label such as ``'Table 2.'``.
        n_lines (int): Number of lines.
        align (str): Alignment of one-line captions; longer ones are
            justified. Defaults to ``'center'``.

    Returns:
        Block | None: The block.
    """
    lead = label.split()
    words = sentence_words(rng, words_for_lines(n_lines, width, style))
    lines = break_lines(
        lead + words, style, width, bold_prefix=len(lead))[:n_lines]
    if not lines:
        return None
    if len(lines) == 1:
        lines[0] = shorten_line(lines[0], style, rng.uniform(0.4, 1) * width)
    else:
        lines[-1] = shorten_line(lines[-1], style,
                                 rng.uniform(0.3, 0.9) * width)
    img = blank(text_height(len(lines), style), width)
    _draw_lines(img, lines, 0, 0, style, width,
                align if len(lines) == 1 else 'justify')
    return Block(img, [Item('Caption', (0, 0, width, img.shape[0]))])


def footnotes(rng: np.random.Generator, style: TextStyle, width: int,
              n_notes: int, first_no: int, gap: int, rule_width: int,
              rule_gap: int) -> Optional[Block]:
    """Footnotes under a short rule; one ``Footnote`` per note.

    The rule is drawn but not annotated (as in DocLayNet).

    Args:
        rng (np.random.Generator): Random source.
        style (TextStyle): Text style (small).
        width (int): Column width.
        n_notes (int): Number of notes.
        first_no (int): Number of the first note.
        gap (int): Vertical gap between notes.
        rule_width (int): Length of the rule.
        rule_gap (int): Gap between the rule and the first note.

    Returns:
        Block | None: The block.
    """
    sup = style.replace(scale=style.scale * 0.7)
    parts = []
    for k in range(n_notes):
        mark = str(first_no + k)
        mw = measure(mark, sup) + 2
        n_lines = 1 + int(rng.random() < 0.45) + int(rng.random() < 0.12)
        words = sentence_words(rng, words_for_lines(n_lines, width, style))
        lines = break_lines(words, style, width - mw)[:n_lines]
        lines[-1] = shorten_line(lines[-1], style,
                                 rng.uniform(0.35, 0.95) * (width - mw))
        parts.append((mark, mw, lines))
    height = rule_gap + 1 + sum(text_height(len(p[2]), style) for p in parts) \
        + gap * (len(parts) - 1)
    img = blank(height, width)
    cv2.line(img, (0, 0), (rule_width, 0), style.color, 1)
    y = rule_gap + 1
    items = []
    for mark, mw, lines in parts:
        put_text(img, mark, 0, y + sup.ascent, sup)
        y_end = _draw_lines(img, lines, mw, y, style, width - mw, 'justify')
        items.append(Item('Footnote', (0, y, width, y_end)))
        y = y_end + gap
    return Block(img, items)


# --------------------------------------------------------------------------
# Formulas
# --------------------------------------------------------------------------
@dataclass
class _Tok:
    """A laid-out formula piece: width, extent around the baseline, painter."""
    w: int
    asc: int
    desc: int
    draw: Callable[[np.ndarray, int, int], None]


def _t_text(s: str, st: TextStyle) -> _Tok:
    return _Tok(
        measure(s, st), st.ascent, st.descent,
        lambda img, x, b: put_text(img, s, x, b, st))


def _t_row(toks: Sequence[_Tok], sp: int) -> _Tok:
    w = sum(t.w for t in toks) + sp * (len(toks) - 1)

    def draw(img, x, b):
        for t in toks:
            t.draw(img, x, b)
            x += t.w + sp

    return _Tok(w, max(t.asc for t in toks), max(t.desc for t in toks), draw)


def _t_script(base: _Tok, sub: Optional[_Tok], sup: Optional[_Tok]) -> _Tok:
    w_s = max(sub.w if sub else 0, sup.w if sup else 0)
    up = int(base.asc * 0.55)
    down = int(base.asc * 0.35)
    asc = max(base.asc, up + sup.asc) if sup else base.asc
    desc = max(base.desc, down + sub.desc) if sub else base.desc

    def draw(img, x, b):
        base.draw(img, x, b)
        if sup:
            sup.draw(img, x + base.w + 1, b - up)
        if sub:
            sub.draw(img, x + base.w + 1, b + down)

    return _Tok(base.w + w_s + 1, asc, desc, draw)


def _t_frac(num: _Tok, den: _Tok, color, axis: int) -> _Tok:
    w = max(num.w, den.w) + 6
    gap = 2

    def draw(img, x, b):
        yb = b - axis
        cv2.line(img, (x, yb), (x + w - 1, yb), color, 1)
        num.draw(img, x + (w - num.w) // 2, yb - gap - num.desc)
        den.draw(img, x + (w - den.w) // 2, yb + gap + 1 + den.asc)

    return _Tok(w, axis + gap + num.desc + num.asc,
                max(1, gap + 1 + den.asc + den.desc - axis), draw)


def _t_bigop(kind: str, st: TextStyle, small: TextStyle, lo: Optional[str],
             hi: Optional[str]) -> _Tok:
    cap = st.cap
    h = int(cap * 1.9)
    w = int(h * 0.7) if kind == 'sum' else max(6, int(h * 0.45))
    lo_t = _t_text(lo, small) if lo else None
    hi_t = _t_text(hi, small) if hi else None
    tw = max(w, lo_t.w if lo_t else 0, hi_t.w if hi_t else 0)
    top_extra = (hi_t.asc + hi_t.desc + 2) if hi_t and kind == 'sum' else 0
    bot_extra = (lo_t.asc + lo_t.desc + 2) if lo_t and kind == 'sum' else 0
    asc = int(h * 0.75) + top_extra
    desc = h - int(h * 0.75) + bot_extra

    def draw(img, x, b):
        top, bot = b - int(h * 0.75), b + (h - int(h * 0.75))
        x0 = x + (tw - w) // 2
        if kind == 'sum':
            pts = np.array([[x0 + w, top], [x0, top],
                            [x0 + w // 2,
                             (top + bot) // 2], [x0, bot], [x0 + w, bot]],
                           np.int32)
        else:  # integral sign: a slanted stroke with hooked ends
            pts = np.array(
                [[x0 + w, top + 2], [x0 + w - 2, top], [x0 + w // 2, top + 3],
                 [x0 + w // 2, bot - 3], [x0 + 2, bot], [x0, bot - 2]],
                np.int32)
        cv2.polylines(img, [pts], False, st.color, max(1, st.thickness),
                      LINE_TYPE)
        if kind == 'sum':
            if hi_t:
                hi_t.draw(img, x + (tw - hi_t.w) // 2, top - 2 - hi_t.desc)
            if lo_t:
                lo_t.draw(img, x + (tw - lo_t.w) // 2, bot + 2 + lo_t.asc)
        else:
            if hi_t:
                hi_t.draw(img, x0 + w + 1, top + hi_t.asc)
            if lo_t:
                lo_t.draw(img, x0 + w // 2 + 1, bot)

    extra = 0 if kind == 'sum' else max(hi_t.w if hi_t else 0,
                                        lo_t.w if lo_t else 0)
    return _Tok(tw + extra + 2, asc, desc, draw)


def _t_sqrt(inner: _Tok, color) -> _Tok:
    hook = max(6, inner.asc // 2)

    def draw(img, x, b):
        top = b - inner.asc - 2
        bot = b + inner.desc
        pts = np.array(
            [[x, b - inner.asc // 3], [x + hook // 3, b - inner.asc // 2],
             [x + hook // 2 + 1, bot], [x + hook, top],
             [x + hook + inner.w + 2, top]], np.int32)
        cv2.polylines(img, [pts], False, color, 1, LINE_TYPE)
        inner.draw(img, x + hook + 2, b)

    return _Tok(hook + inner.w + 3, inner.asc + 3, inner.desc, draw)


def _formula_expr(rng: np.random.Generator,
                  st: TextStyle,
                  small: TextStyle,
                  var: TextStyle,
                  depth: int = 0) -> _Tok:
    """A random expression ``lhs = term op term ...``."""
    sp = max(2, st.space // 2)
    letters = 'xyzabcfgkuvwtpqrs'

    def variable(style: TextStyle = var, sm: TextStyle = small) -> _Tok:
        v = _t_text(letters[int(rng.integers(len(letters)))], style)
        sub = _t_text(
            str(rng.choice(['i', 'j', 'k', 'n', '0', '1', 't'])),
            sm) if rng.random() < 0.5 else None
        sup = _t_text(str(rng.choice(['2', 'T', '-1', 'n'])), sm) \
            if rng.random() < 0.3 else None
        return _t_script(v, sub, sup) if (sub or sup) else v

    def term(allow_big: bool) -> _Tok:
        r = rng.random()
        if allow_big and r < 0.22:
            num = _t_row([variable() for _ in range(int(rng.integers(1, 3)))],
                         sp)
            den = _t_row([variable() for _ in range(int(rng.integers(1, 3)))],
                         sp)
            return _t_frac(num, den, st.color, max(2, st.cap * 2 // 5))
        if allow_big and r < 0.36:
            op = _t_bigop('sum' if rng.random() < 0.6 else 'int', st, small,
                          'i=1' if rng.random() < 0.8 else None,
                          'N' if rng.random() < 0.8 else None)
            return _t_row([op, variable(), variable()], sp)
        if allow_big and r < 0.44:
            return _t_sqrt(
                _t_row([variable(), _t_text('+', st),
                        variable()], sp), st.color)
        if r < 0.55:
            return _t_text(f'{rng.integers(1, 99)}', st)
        if r < 0.65:
            inner = _t_row([
                variable(),
                _t_text(str(rng.choice(['+', '-'])), st),
                variable()
            ], sp)
            return _t_row([_t_text('(', st), inner, _t_text(')', st)], 1)
        return _t_row([variable() for _ in range(int(rng.integers(1, 3)))], 1)

    toks = [variable(), _t_text('=' if rng.random() < 0.85 else '<', st)]
    for k in range(int(rng.integers(2, 5))):
        if k:
            toks.append(_t_text(str(rng.choice(['+', '-', '+', '='])), st))
        toks.append(term(allow_big=True))
    return _t_row(toks, sp + 1)


def formula(rng: np.random.Generator,
            style: TextStyle,
            width: int,
            eq_no: Optional[int] = None) -> Optional[Block]:
    """A displayed formula, centered, with an optional ``(n)`` number at the
    right edge (included in the ``Formula`` item, as in DocLayNet).

    Args:
        rng (np.random.Generator): Random source.
        style (TextStyle): Body text style; the formula is drawn a bit larger
            with an italic serif font for variables.
        width (int): Column width.
        eq_no (int, optional): Equation number. Defaults to None.

    Returns:
        Block | None: The block, or None if the formula does not fit.
    """
    st = style.replace(
        scale=style.scale * 1.1, font=cv2.FONT_HERSHEY_COMPLEX, thickness=1)
    var = st.replace(font=cv2.FONT_HERSHEY_COMPLEX | cv2.FONT_ITALIC)
    small = var.replace(scale=st.scale * 0.68)
    num = _t_text(f'({eq_no})', style) if eq_no is not None else None
    avail = width - (num.w + 12 if num else 0)
    for _ in range(6):
        expr = _formula_expr(rng, st, small, var)
        if expr.w <= avail * 0.92:
            break
    else:
        return None
    pad = 1
    h = expr.asc + expr.desc + 2 * pad
    img = blank(h, width)
    base = pad + expr.asc
    x = (width - expr.w) // 2
    expr.draw(img, x, base)
    x0 = x
    if num:
        num.draw(img, width - num.w, base)
    return Block(img, [Item('Formula', (max(0, x0 - 2), 0, width, h))])


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------
def _cell_number(rng: np.random.Generator, kind: int) -> str:
    v = rng.uniform(0, 1)
    if kind == 0:
        return f'{int(v * 9000 + 100):,}'
    if kind == 1:
        return f'{v * 100:.1f}'
    if kind == 2:
        return f'{v:.3f}'
    if kind == 3:
        return f'({v * 500:.1f})' if rng.random() < 0.3 else f'{v * 500:.1f}'
    return f'{v * 100:.0f}%'


def table(
    rng: np.random.Generator,
    style: TextStyle,
    width: int,
    max_height: int,
    kind: str = 'booktabs',
    n_rows: Optional[int] = None,
    n_cols: Optional[int] = None,
    rule_color=(30, 30, 30),
    shade_color=(225, 225, 225)
) -> Optional[Block]:
    """A table with ruling lines; the whole table is one ``Table`` item.

    Every kind has dark rules over the full table width at its top and
    bottom.

    Args:
        rng (np.random.Generator): Random source.
        style (TextStyle): Cell text style.
        width (int): Table width.
        max_height (int): Height available.
        kind (str): ``'booktabs'`` (top/mid/bottom rules), ``'grid'`` (all
            cell borders), ``'rows'`` (a rule under every row) or
            ``'shaded'`` (shaded header and zebra rows). Defaults to
            ``'booktabs'``.
        n_rows (int, optional): Rows including the header. Defaults to None
            (random).
        n_cols (int, optional): Columns. Defaults to None (random).
        rule_color (tuple): BGR color of the outer rules. Defaults to
            near black.
        shade_color (tuple): BGR color of shaded rows. Defaults to light
            gray.

    Returns:
        Block | None: The block, or None if fewer than 3 rows fit.
    """
    pad = max(2, int(round(style.height * 0.2)))
    row_h = style.height + 2 * pad
    max_rows = (max_height - 4) // row_h
    if n_rows is None:
        n_rows = int(rng.integers(4, 13))
    n_rows = min(n_rows, max_rows)
    if n_rows < 3:
        return None
    min_cell = int(measure('0000.0', style) + 2 * pad)
    first_w = int(width * rng.uniform(0.28, 0.42))
    max_cols = 1 + (width - first_w) // max(1, min_cell)
    if n_cols is None:
        n_cols = int(rng.integers(3, 8))
    n_cols = min(n_cols, max_cols)
    if n_cols < 2:
        return None
    other_w = (width - first_w) / (n_cols - 1)
    xs = [0, first_w
          ] + [int(round(first_w + other_w * k)) for k in range(1, n_cols)]
    xs[-1] = width
    height = n_rows * row_h + 3
    img = blank(height, width)
    y_rows = [1 + r * row_h for r in range(n_rows + 1)]
    if kind == 'shaded':
        img[y_rows[0]:y_rows[1]] = shade_color
        for r in range(2, n_rows, 2):
            img[y_rows[r]:y_rows[r + 1]] = tuple(
                int(255 - (255 - c) * 0.45) for c in shade_color)
    head = style.bold()
    num_kind = int(rng.integers(5))
    year = int(rng.integers(1995, 2024))
    for r in range(n_rows):
        base = y_rows[r] + pad + style.ascent
        for c in range(n_cols):
            cw = xs[c + 1] - xs[c] - 2 * pad
            st = head if r == 0 else style
            if c == 0:
                if r == 0:
                    words = title_words(rng, int(rng.integers(1, 3)))
                else:
                    words = title_words(rng, int(rng.integers(1, 4)))
                    words[1:] = [w.lower() for w in words[1:]]
                text = ''
                for w in words:
                    cand = (text + ' ' + w).strip()
                    if measure(cand, st) > cw:
                        break
                    text = cand
                if text:
                    put_text(img, text, xs[0] + pad, base, st)
            else:
                if r == 0:
                    text = str(year - c + 1) if num_kind in (0, 3) else \
                        title_words(rng, 1)[0][:7]
                else:
                    text = _cell_number(rng, num_kind) if rng.random() > 0.04 \
                        else '-'
                if measure(text, st) > cw:
                    text = str(int(rng.integers(1, 100)))
                if measure(text, st) > cw:
                    text = ''
                if text:
                    put_text(img, text, xs[c + 1] - pad - measure(text, st),
                             base, st)
    thick = 2 if kind in ('booktabs', 'shaded') else 1
    cv2.line(img, (0, y_rows[0]), (width - 1, y_rows[0]), rule_color, thick)
    cv2.line(img, (0, y_rows[-1]), (width - 1, y_rows[-1]), rule_color, thick)
    if kind in ('booktabs', 'shaded'):
        cv2.line(img, (0, y_rows[1]), (width - 1, y_rows[1]), rule_color, 1)
    elif kind == 'rows':
        for y in y_rows[1:-1]:
            cv2.line(img, (0, y), (width - 1, y), (150, 150, 150), 1)
        cv2.line(img, (0, y_rows[1]), (width - 1, y_rows[1]), rule_color, 1)
    elif kind == 'grid':
        for y in y_rows[1:-1]:
            cv2.line(img, (0, y), (width - 1, y), rule_color, 1)
        for x in xs[:-1] + [width - 1]:
            cv2.line(img, (x, y_rows[0]), (x, y_rows[-1]), rule_color, 1)
    return Block(img, [Item('Table', (0, 0, width, height))])
