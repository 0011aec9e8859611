# Copyright (c) docseg_mm contributors. All rights reserved.
"""Formulas: random TeX-like expressions typeset by matplotlib's mathtext
and drawn glyph by glyph into the page (vector text, as in a TeX PDF)."""
from functools import lru_cache
from typing import List, Tuple

import numpy as np

from .fonts import register

_VARS = list('xyzuvwabcnkt') + [r'\alpha', r'\beta', r'\gamma', r'\lambda',
                                r'\mu', r'\sigma', r'\theta', r'\phi',
                                r'\omega', r'\epsilon', r'\rho', r'\tau']
_FUNCS = [r'\sin', r'\cos', r'\log', r'\exp', r'\tanh', 'f', 'g', 'h', 'p']
_OPS = ['+', '-', r'\cdot', r'\times']
_RELS = ['=', '=', r'\leq', r'\approx', r'\geq', r'\propto', '<']


def _p(rng: np.random.Generator, xs: list) -> str:
    return xs[int(rng.integers(len(xs)))]


def _atom(rng: np.random.Generator, depth: int) -> str:
    r = rng.random()
    v = _p(rng, _VARS)
    if r < 0.25:
        return f'{v}_{{{_p(rng, list("ijkn"))}}}'
    if r < 0.4:
        return f'{v}^{{{rng.integers(2, 4)}}}'
    if r < 0.5:
        return f'{rng.integers(2, 20)}'
    if r < 0.6 and depth < 2:
        return f'{_p(rng, _FUNCS)}({_expr(rng, depth + 1, 2)})'
    if r < 0.68 and depth < 1:
        return rf'\frac{{{_expr(rng, depth + 1, 2)}}}' \
               rf'{{{_expr(rng, depth + 1, 2)}}}'
    if r < 0.74 and depth < 1:
        return rf'\sqrt{{{_expr(rng, depth + 1, 2)}}}'
    if r < 0.8:
        return rf'\|{v}\|_{{{rng.integers(1, 3)}}}'
    return v


def _expr(rng: np.random.Generator, depth: int, n: int) -> str:
    k = int(rng.integers(1, n + 1))
    parts = [_atom(rng, depth)]
    for _ in range(k - 1):
        parts += [_p(rng, _OPS), _atom(rng, depth)]
    return ' '.join(parts)


def display_formula(rng: np.random.Generator) -> str:
    """A display formula in mathtext syntax (``$...$``)."""
    lhs = _expr(rng, 1, 2)
    r = rng.random()
    if r < 0.3:
        i = _p(rng, list('ijkn'))
        big = _p(rng, [r'\sum', r'\sum', r'\prod'])
        rhs = (f'{big}_{{{i}=1}}^{{{_p(rng, ["N", "n", "K", "T"])}}} '
               f'{_expr(rng, 0, 3)}')
    elif r < 0.5:
        upper = _p(rng, [r'\infty', '1', 'T', r'\pi'])
        rhs = (rf'\int_{{0}}^{{{upper}}} '
               rf'{_expr(rng, 0, 2)} \, d{_p(rng, list("xtu"))}')
    else:
        rhs = _expr(rng, 0, 4)
    return f'${lhs} {_p(rng, _RELS)} {rhs}$'


def inline_formula(rng: np.random.Generator) -> str:
    """A short inline formula (no fractions, one line high)."""
    v = _p(rng, _VARS)
    r = rng.random()
    if r < 0.4:
        return f'${v}_{{{_p(rng, list("ijk0"))}}}$'
    if r < 0.7:
        return f'${v} = {rng.integers(0, 100) / 10:g}$'
    return f'$O({_p(rng, list("nmk"))}^{{{rng.integers(2, 4)}}})$'


@lru_cache(maxsize=4096)
def typeset(tex: str, size: float, fontset: str = 'stix') -> Tuple:
    """Lay out a mathtext string.

    Args:
        tex (str): ``$...$`` expression.
        size (float): Font size in points.
        fontset (str): ``'stix'``, ``'stixsans'`` or ``'dejavusans'``.
            Defaults to ``'stix'``.

    Returns:
        tuple: ``(width, height, depth, glyphs, rects)``; ``glyphs`` are
        ``(font file, size, char, x, y)`` with y up from the baseline,
        ``rects`` ``(x, y, w, h)`` rules (fraction bars) in the same frame.
    """
    import matplotlib
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser
    with matplotlib.rc_context({'mathtext.fontset': fontset}):
        w, h, d, glyphs, rects = MathTextParser('path').parse(
            tex, dpi=72, prop=FontProperties(size=size))
    out: List[tuple] = []
    for g in glyphs:
        font, fsize, num = g[0], g[1], g[2]
        ox, oy = g[-2], g[-1]
        out.append((font.fname, float(fsize), chr(num), float(ox),
                    float(oy)))
    return (float(w), float(h), float(d), tuple(out),
            tuple(tuple(float(v) for v in r) for r in rects))


def draw(page, laid: Tuple, x: float, baseline: float) -> List[float]:
    """Draw a typeset formula with its baseline at ``baseline``.

    Returns:
        list[float]: Its box ``[x0, y0, x1, y1]`` (top-left frame).
    """
    import os.path as osp
    w, h, d, glyphs, rects = laid
    for fname, fsize, char, ox, oy in glyphs:
        name = 'mt_' + osp.splitext(osp.basename(fname))[0]
        register(name, fname)
        page.glyph(name, fsize, x + ox, baseline - oy, char)
    for rx, ry, rw, rh in rects:
        page.rect(x + rx, baseline - ry - rh, x + rx + rw, baseline - ry,
                  fill=(0, 0, 0))
    return [x, baseline - (h - d), x + w, baseline + d]


class MathFace:
    """Stands in for a :class:`~.fonts.Face` in a paragraph's tokens: an
    inline formula measured by mathtext (drawn by :func:`draw`)."""

    is_math = True

    def __init__(self, fontset: str = 'stix') -> None:
        self.fontset = fontset
        self.name = 'math'

    def width(self, text: str, size: float) -> float:
        if text == ' ':
            return 0.25 * size
        return typeset(text, round(size, 2), self.fontset)[0]

    @staticmethod
    def clean(text: str) -> str:
        return text
