# Copyright (c) docseg_mm contributors. All rights reserved.
"""Word-like glyph runs drawn with OpenCV's Hershey fonts.

The words come from a fixed lexicon of pseudo-words (built from a constant
seed at import time) mixed with frequent short English words, so text lines
have a realistic rhythm of short and long words without needing any font or
corpus files.
"""
import dataclasses
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

Color = Tuple[int, int, int]

#: Hershey font metrics at scale 1 in pixels: cap height, nominal descender
#: (what ``cv2.getTextSize`` reports as baseline) and the real ink extents
#: above / below the baseline of the tallest / deepest glyphs.
_CAP = 21.0
_DESC = 10.0
_TOP = 26.0
_BOTTOM = 8.0
#: Anti-aliased strokes look closest to printed text.
LINE_TYPE = cv2.LINE_AA

SANS_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX)
SERIF_FONTS = (cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX)

_COMMON = ('the', 'of', 'and', 'to', 'in', 'a', 'is', 'for', 'with', 'on',
           'as', 'by', 'that', 'this', 'are', 'be', 'or', 'an', 'at', 'from',
           'it', 'which', 'not', 'all', 'can', 'has', 'we', 'may', 'shall')
_SMALL_WORDS = frozenset(('of', 'and', 'to', 'in', 'a', 'for', 'on', 'the',
                          'by', 'or', 'an', 'at', 'from'))
_LETTERS = np.array(list('etaoinshrdlcumwfgypbvkjxqz'))
_LETTER_FREQ = np.array([
    12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8, 2.4, 2.4,
    2.2, 2.0, 2.0, 1.9, 1.5, 1.0, 0.8, 0.15, 0.15, 0.1, 0.07
])


def _build_lexicon(size: int = 1500, seed: int = 1234) -> Tuple[str, ...]:
    """Pseudo-words with English-like letter frequencies (fixed forever)."""
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.poisson(3.5, size) + 2, 2, 13)
    p = _LETTER_FREQ / _LETTER_FREQ.sum()
    letters = rng.choice(_LETTERS, size=int(lengths.sum()), p=p)
    words, start = [], 0
    for n in lengths:
        words.append(''.join(letters[start:start + n]))
        start += n
    return tuple(words)


LEXICON: Tuple[str, ...] = _COMMON + _build_lexicon()
# Frequent words take ~35 % of the draws, like function words in English.
_WEIGHTS = np.concatenate([
    np.full(len(_COMMON), 0.35 / len(_COMMON)),
    np.full(len(LEXICON) - len(_COMMON), 0.65 / (len(LEXICON) - len(_COMMON)))
])
_CDF = np.cumsum(_WEIGHTS)
_CDF /= _CDF[-1]
_N_COMMON = len(_COMMON)


@dataclass(frozen=True)
class TextStyle:
    """How a run of text is drawn.

    Args:
        font (int): Hershey font id, possibly or-ed with ``cv2.FONT_ITALIC``.
            Defaults to ``cv2.FONT_HERSHEY_SIMPLEX``.
        scale (float): Hershey font scale (cap height is ~22 px * scale).
            Defaults to 0.36.
        thickness (int): Stroke thickness; 2 or more looks bold. Defaults to 1.
        color (tuple): BGR ink color. Defaults to near black.
        leading (float): Line pitch as a multiple of the font's full height
            (cap height + descender). Defaults to 1.25.
    """
    font: int = cv2.FONT_HERSHEY_SIMPLEX
    scale: float = 0.36
    thickness: int = 1
    color: Color = (25, 25, 25)
    leading: float = 1.25

    @property
    def cap(self) -> int:
        """Cap height in pixels (the height of ``'H'``)."""
        return max(1, int(round(_CAP * self.scale)))

    @property
    def ascent(self) -> int:
        """Pixels from the baseline to the top of the tallest glyphs
        (parentheses, accents), strokes included."""
        return int(np.ceil(_TOP * self.scale + 0.5 + self.thickness / 2))

    @property
    def descent(self) -> int:
        """Pixels from the baseline to the bottom of descenders."""
        return int(np.ceil(_BOTTOM * self.scale + 0.5 + self.thickness / 2))

    @property
    def height(self) -> int:
        """Height of one line of ink (ascent + descent)."""
        return self.ascent + self.descent

    @property
    def pitch(self) -> int:
        """Baseline-to-baseline distance of consecutive lines."""
        return max(
            int(np.ceil((_CAP + _BOTTOM) * self.scale)) + 2,
            int(round((_CAP + _DESC) * self.scale * self.leading)))

    @property
    def space(self) -> int:
        """Natural width of an inter-word space."""
        return max(2, int(round(9 * self.scale)))

    def replace(self, **kwargs) -> 'TextStyle':
        """Copy of the style with some fields changed."""
        return dataclasses.replace(self, **kwargs)

    def bold(self, extra: int = 1) -> 'TextStyle':
        """The same style with thicker strokes."""
        return dataclasses.replace(self, thickness=self.thickness + extra)


def measure(text: str, style: TextStyle) -> int:
    """Width in pixels of ``text`` drawn with ``style``."""
    return cv2.getTextSize(text, style.font, style.scale,
                           style.thickness)[0][0]


def put_text(img: np.ndarray, text: str, x: int, baseline: int,
             style: TextStyle) -> None:
    """Draw ``text`` from ``x`` (left end) on the line ``y = baseline``."""
    cv2.putText(img, text, (int(x), int(baseline)), style.font, style.scale,
                style.color, style.thickness, LINE_TYPE)


def _draw_words(rng: np.random.Generator, n: int) -> List[str]:
    idx = np.searchsorted(_CDF, rng.random(n), side='right')
    return [LEXICON[min(i, len(LEXICON) - 1)] for i in idx]


def sentence_words(rng: np.random.Generator,
                   n: int,
                   numbers: float = 0.03) -> List[str]:
    """``n`` words forming sentences (capitalised starts, commas, periods).

    Args:
        rng (np.random.Generator): Random source.
        n (int): Number of words.
        numbers (float): Probability that a word is a number instead.
            Defaults to 0.03.

    Returns:
        list[str]: The words.
    """
    words = _draw_words(rng, n)
    u = rng.random((n, 3))
    out: List[str] = []
    left = 0
    for i, w in enumerate(words):
        if u[i, 0] < numbers:
            w = str(int(u[i, 1] * 2000)) if u[i, 2] < 0.6 else \
                f'{u[i, 1] * 100:.1f}%'
        if left == 0:
            w = w[:1].upper() + w[1:]
            left = 5 + int(u[i, 2] * 14)
        left -= 1
        if left == 0 or i == n - 1:
            w += '.'
        elif u[i, 1] < 0.07 and u[i, 0] >= numbers:
            w += ','
        out.append(w)
    return out


def title_words(rng: np.random.Generator,
                n: int,
                upper: bool = False) -> List[str]:
    """``n`` words in Title Case (or UPPER CASE) for titles and headings.

    Args:
        rng (np.random.Generator): Random source.
        n (int): Number of words.
        upper (bool): Upper-case all words. Defaults to False.

    Returns:
        list[str]: The words.
    """
    words = _draw_words(rng, n)
    out = []
    for i, w in enumerate(words):
        if upper:
            w = w.upper()
        elif i == 0 or w not in _SMALL_WORDS:
            w = w[:1].upper() + w[1:]
        out.append(w)
    return out


def break_lines(words: Sequence[str],
                style: TextStyle,
                width: int,
                first_indent: int = 0,
                indent: int = 0,
                bold_prefix: int = 0) -> List[List[Tuple[str, int, bool]]]:
    """Greedily break ``words`` into lines no wider than ``width``.

    Args:
        words (Sequence[str]): Words in reading order.
        style (TextStyle): Text style used to measure the words.
        width (int): Available line width in pixels.
        first_indent (int): Indent of the first line. Defaults to 0.
        indent (int): Indent of the following lines. Defaults to 0.
        bold_prefix (int): Number of leading words drawn bold. Defaults to 0.

    Returns:
        list[list[tuple]]: Per line, ``(word, width, bold)`` triples.
    """
    bold = style.bold()
    lines: List[List[Tuple[str, int, bool]]] = []
    line: List[Tuple[str, int, bool]] = []
    used = 0
    avail = width - first_indent
    for i, w in enumerate(words):
        is_bold = i < bold_prefix
        ww = measure(w, bold if is_bold else style)
        need = ww if not line else used + style.space + ww
        if line and need > avail:
            lines.append(line)
            line, used, avail = [], 0, width - indent
            need = ww
        if not line and ww > avail:  # a single word wider than the line
            continue
        line.append((w, ww, is_bold))
        used = need
    if line:
        lines.append(line)
    return lines


def draw_line(img: np.ndarray,
              line: Sequence[Tuple[str, int, bool]],
              x: int,
              baseline: int,
              style: TextStyle,
              width: int,
              align: str = 'left') -> None:
    """Draw one broken line of words.

    Args:
        img (np.ndarray): BGR canvas.
        line (Sequence[tuple]): ``(word, width, bold)`` triples.
        x (int): Left end of the line box.
        baseline (int): Baseline y.
        style (TextStyle): Text style.
        width (int): Width of the line box.
        align (str): ``'left'``, ``'right'``, ``'center'`` or ``'justify'``.
            Defaults to ``'left'``.
    """
    if not line:
        return
    natural = sum(w for _, w, _ in line) + style.space * (len(line) - 1)
    gap = float(style.space)
    if align == 'justify' and len(line) > 1:
        stretched = (width - sum(w for _, w, _ in line)) / (len(line) - 1)
        if stretched < 4 * style.space:
            gap = stretched
    elif align == 'center':
        x += max(0, (width - natural) // 2)
    elif align == 'right':
        x += max(0, width - natural)
    bold = style.bold()
    pos = float(x)
    for word, ww, is_bold in line:
        put_text(img, word, int(round(pos)), baseline,
                 bold if is_bold else style)
        pos += ww + gap


def line_width(line: Sequence[Tuple[str, int, bool]], style: TextStyle) -> int:
    """Natural width of a broken line."""
    return sum(w for _, w, _ in line) + style.space * max(0, len(line) - 1)


def shorten_line(line: List[Tuple[str, int, bool]], style: TextStyle,
                 max_width: float) -> List[Tuple[str, int, bool]]:
    """Drop trailing words until the line is at most ``max_width`` wide.

    Keeps at least one word and ends the line with a period (the end of a
    paragraph).
    """
    line = list(line)
    while len(line) > 1 and line_width(line, style) > max_width:
        line.pop()
    word, _, is_bold = line[-1]
    if not word.endswith('.'):
        word = word.rstrip(',') + '.'
        line[-1] = (word, measure(word,
                                  style.bold() if is_bold else style), is_bold)
    return line


def words_for_lines(n_lines: int, width: int, style: TextStyle) -> int:
    """A generous number of words to fill ``n_lines`` lines of ``width``."""
    per_line = width / max(1.0, (5.2 * 16 + 9) * style.scale)
    return int(n_lines * per_line * 1.5) + 4


def page_number_text(rng: np.random.Generator,
                     page_no: int,
                     kind: Optional[str] = None) -> str:
    """A page number as printed in headers and footers.

    Args:
        rng (np.random.Generator): Random source.
        page_no (int): The number.
        kind (str, optional): Format; random when omitted. Defaults to None.

    Returns:
        str: For example ``'12'``, ``'- 12 -'``, ``'Page 12'``.
    """
    kinds = ('plain', 'dash', 'page', 'page_of')
    if kind is None:
        kind = kinds[int(rng.integers(len(kinds)))]
    if kind == 'dash':
        return f'- {page_no} -'
    if kind == 'page':
        return f'Page {page_no}'
    if kind == 'page_of':
        return f'Page {page_no} of {page_no + int(rng.integers(3, 60))}'
    return str(page_no)
