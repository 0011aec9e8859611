# Copyright (c) docseg_mm contributors. All rights reserved.
"""Fonts for the typesetter: register the TrueType faces that matplotlib and
ReportLab ship with ReportLab, measure strings, and make text safe for
faces that lack glyphs."""
import os.path as osp
from functools import lru_cache
from typing import Dict, Tuple

from .styles import FAMILIES

_TRANSLIT = str.maketrans({
    '\u2013': '-', '\u2014': '--', '\u2018': "'", '\u2019': "'",
    '\u201c': "''", '\u201d': "''", '\u2022': '*', '\u00a7': 'S',
    '\u00b1': '+/-', '\u00d7': 'x', '\u2212': '-', '\u00e9': 'e',
    '\u00b0': 'o', '\u20ac': 'EUR', '\u00a3': 'GBP', '\u2026': '...'
})


@lru_cache(None)
def _font_dirs() -> Dict[str, str]:
    import matplotlib
    import reportlab
    return dict(
        mpl=osp.join(matplotlib.get_data_path(), 'fonts', 'ttf'),
        rl=osp.join(osp.dirname(reportlab.__file__), 'fonts'))


def font_file(name: str) -> str:
    """Path of a TrueType face named like its file (``'cmr10'``)."""
    for kind, d in _font_dirs().items():
        p = osp.join(d, name + '.ttf')
        if osp.isfile(p):
            return p
    raise FileNotFoundError(f'font {name}.ttf is neither in matplotlib nor '
                            'in ReportLab')


_REGISTERED = set()


def register(name: str, path: str = None) -> str:
    """Register a TrueType face with ReportLab once; base-14 names pass."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    if name in _REGISTERED or name in pdfmetrics.standardFonts:
        return name
    pdfmetrics.registerFont(TTFont(name, path or font_file(name)))
    _REGISTERED.add(name)
    return name


class Face:
    """One face of a family at the typesetter's service.

    Args:
        family (str): Key of :data:`~.styles.FAMILIES`.
        variant (str): ``'regular'``, ``'bold'``, ``'italic'`` or
            ``'bolditalic'``.
    """

    def __init__(self, family: str, variant: str = 'regular') -> None:
        spec = FAMILIES[family]
        self.family = family
        self.variant = variant
        self.name = spec[variant]
        if spec['kind'] != 'std':
            register(self.name)
        self.ascii = bool(spec.get('ascii'))
        self.unsafe = spec.get('unsafe', '')
        self._table = str.maketrans('', '', self.unsafe)

    def clean(self, text: str) -> str:
        """``text`` with only characters this face draws as themselves."""
        if self.ascii:
            text = text.translate(_TRANSLIT)
            text = ''.join(c for c in text if 32 <= ord(c) < 127)
        return text.translate(self._table)

    def width(self, text: str, size: float) -> float:
        """Advance width of ``text`` in points."""
        return _width(self.name, text, size)


@lru_cache(maxsize=65536)
def _width(name: str, text: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth
    return stringWidth(text, name, size)


@lru_cache(None)
def face(family: str, variant: str = 'regular') -> Face:
    """The shared :class:`Face` of a family and variant."""
    return Face(family, variant)


def vmetrics(size: float) -> Tuple[float, float]:
    """Ascent and descent (positive, points) used for line boxes.

    Generous enough for capitals, ascenders and descenders of the faces of
    :data:`~.styles.FAMILIES`; boxes are tightened to the ink after
    rendering.
    """
    return 0.80 * size, 0.26 * size
