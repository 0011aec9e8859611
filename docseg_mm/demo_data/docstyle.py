# Copyright (c) docseg_mm contributors. All rights reserved.
"""A document's house style, sampled once per document from the tables of
:mod:`.styles`, so that all pages of a document look alike."""
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import numpy as np

from .fonts import Face, face
from .styles import HEADING_COLORS, PAGE_KINDS, PAGE_TYPE_KINDS, PAPER


def _choice(rng: np.random.Generator, weights: Dict) -> object:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _u(rng: np.random.Generator, lo_hi: Tuple[float, float]) -> float:
    return float(rng.uniform(*lo_hi))


@dataclass
class DocStyle:
    """Everything the composer needs to know about a document's look."""
    page_type: str
    kind: str
    width: float
    height: float
    margins: Tuple[float, float, float, float]  # left, top, right, bottom
    columns: int
    gutter: float
    body: str
    heading: str
    mono: str
    size: float
    leading: float
    justify: bool
    indent: float
    parskip: float
    heading_numbered: bool
    heading_scale: float
    heading_color: Optional[Tuple[float, float, float]]
    header: bool
    header_rule: bool
    footer: bool
    page_no_top: bool
    title_page: bool
    footnotes: float
    wide_float: float
    blocks: Dict[str, float]
    math_fontset: str

    def face(self, role: str = 'body', variant: str = 'regular') -> Face:
        """The face of a role (``body``, ``heading``, ``mono``)."""
        return face(getattr(self, role), variant)

    @property
    def line_height(self) -> float:
        return self.size * self.leading


def sample_style(rng: np.random.Generator, page_type: str,
                 kind: Optional[str] = None) -> DocStyle:
    """Sample a document style.

    Args:
        rng (np.random.Generator): The document's random source.
        page_type (str): One of :data:`~.classes.PAGE_TYPES`.
        kind (str, optional): Force a page kind of :data:`PAGE_KINDS`.
            Defaults to None (drawn with :data:`PAGE_TYPE_KINDS`).

    Returns:
        DocStyle: The style.
    """
    if page_type not in PAGE_TYPE_KINDS:
        raise KeyError(f'unknown page type {page_type!r}; expected one of '
                       f'{sorted(PAGE_TYPE_KINDS)}')
    kind = kind or _choice(rng, PAGE_TYPE_KINDS[page_type])
    k = PAGE_KINDS[kind]
    paper = k['paper'][int(rng.integers(len(k['paper'])))]
    W, H = PAPER[paper]
    m = _u(rng, k['margin_in']) * 72
    margins = (m * float(rng.uniform(0.85, 1.15)), m * float(
        rng.uniform(0.7, 1.0)), m * float(rng.uniform(0.85, 1.15)),
               m * float(rng.uniform(0.8, 1.2)))
    columns = int(_choice(rng, k['columns']))
    body = k['body'][int(rng.integers(len(k['body'])))]
    heading = k['heading'][int(rng.integers(len(k['heading'])))]
    if rng.random() < 0.4:
        heading = body  # many documents use one family throughout
    size = _u(rng, k['size'])
    if columns == 3:
        size = min(size, 9.0)
    justify = bool(rng.random() < k['justify'])
    sans = body in ('helvetica', 'dejavu_sans', 'vera', 'cm_sans')
    return DocStyle(
        page_type=page_type,
        kind=kind,
        width=W,
        height=H,
        margins=margins,
        columns=columns,
        gutter=_u(rng, k['gutter']),
        body=body,
        heading=heading,
        mono=k['mono'][int(rng.integers(len(k['mono'])))],
        size=size,
        leading=_u(rng, k['leading']),
        justify=justify,
        indent=size * float(rng.uniform(1.0, 2.5))
        if rng.random() < k['indent'] else 0.0,
        parskip=size * _u(rng, k['parskip']),
        heading_numbered=bool(rng.random() < k['heading_numbered']),
        heading_scale=_u(rng, k['heading_scale']),
        heading_color=HEADING_COLORS[int(rng.integers(len(HEADING_COLORS)))]
        if rng.random() < k['color_heading'] else None,
        header=bool(rng.random() < k['header']),
        header_rule=bool(rng.random() < k['header_rule']),
        footer=bool(rng.random() < k['footer']),
        page_no_top=bool(rng.random() < k['page_no_top']),
        title_page=bool(rng.random() < k['title_page']),
        footnotes=float(k['footnotes']),
        wide_float=float(k['wide_float']),
        blocks=dict(k['blocks']),
        math_fontset='dejavusans' if sans else 'stix')
