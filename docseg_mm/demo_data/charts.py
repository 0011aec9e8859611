# Copyright (c) docseg_mm contributors. All rights reserved.
"""Figures drawn with matplotlib (Agg, no pyplot): line, bar and scatter
charts with axes, ticks and legends, and box-and-arrow diagrams / patent
style line drawings with reference numerals."""
from typing import Tuple

import numpy as np

from . import words

_PALETTES = [
    ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd'],
    ['#000000', '#555555', '#999999', '#cccccc', '#333333'],
    ['#4477aa', '#ee6677', '#228833', '#ccbb44', '#66ccee'],
    ['#0b3c5d', '#328cc1', '#d9b310', '#1d2731', '#7aa6c2'],
]


def _figure(w_pt: float, h_pt: float, dpi: float, serif: bool):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(w_pt / 72, h_pt / 72), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _rgb(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def _label(rng: np.random.Generator, n: int = 2) -> str:
    return ' '.join(words.short_phrase(rng, n))


def chart(rng: np.random.Generator, w_pt: float, h_pt: float,
          dpi: float = 110, serif: bool = False) -> np.ndarray:
    """A line, bar or scatter chart as an RGB image.

    Args:
        rng (np.random.Generator): Random source.
        w_pt (float): Width on the page in points.
        h_pt (float): Height on the page in points.
        dpi (float): Raster resolution. Defaults to 110.
        serif (bool): Serif tick labels (matching a serif document).
            Defaults to False.

    Returns:
        np.ndarray: ``uint8`` RGB image.
    """
    import matplotlib
    family = 'serif' if serif else 'sans-serif'
    pal = _PALETTES[int(rng.integers(len(_PALETTES)))]
    fs = float(rng.uniform(6, 8.5))
    with matplotlib.rc_context({'font.family': family, 'font.size': fs,
                                'axes.linewidth': 0.7,
                                'svg.hashsalt': 'x', 'path.simplify': True}):
        fig = _figure(w_pt, h_pt, dpi, serif)
        ax = fig.add_subplot(111)
        kind = int(rng.integers(4))
        n_series = int(rng.integers(1, 5))
        names = [_label(rng, 1) for _ in range(n_series)]
        if kind == 0:
            n = int(rng.integers(8, 60))
            x = np.linspace(0, float(rng.integers(1, 100)), n)
            for k in range(n_series):
                y = np.cumsum(rng.normal(0.2, 1.0, n)) + rng.normal(0, 5)
                ax.plot(x, y, color=pal[k], lw=1.2,
                        marker=['o', 's', '^', None][int(rng.integers(4))],
                        ms=3, label=names[k],
                        ls=['-', '--', '-.', ':'][k % 4])
        elif kind == 1:
            cats = [_label(rng, 1)[:10] for _ in range(int(rng.integers(
                3, 8)))]
            pos = np.arange(len(cats))
            bw = 0.8 / n_series
            for k in range(n_series):
                v = np.abs(rng.normal(10, 5, len(cats)))
                ax.bar(pos + k * bw - 0.4 + bw / 2, v, bw * 0.9,
                       color=pal[k], label=names[k])
            ax.set_xticks(pos)
            ax.set_xticklabels(cats, rotation=30 if len(cats) > 4 else 0)
        elif kind == 2:
            for k in range(n_series):
                m = int(rng.integers(20, 120))
                c = rng.normal(0, 3, 2)
                pts = rng.normal(c, rng.uniform(0.5, 2), (m, 2))
                ax.scatter(pts[:, 0], pts[:, 1], s=6, color=pal[k],
                           label=names[k], alpha=0.8)
        else:
            n = int(rng.integers(6, 16))
            x = np.arange(2000, 2000 + n)
            base = np.zeros(n)
            for k in range(n_series):
                v = np.abs(rng.normal(5, 2, n))
                ax.fill_between(x, base, base + v, color=pal[k],
                                label=names[k], alpha=0.85, lw=0)
                base = base + v
        ax.set_xlabel(_label(rng, 2))
        ax.set_ylabel(_label(rng, 1))
        if rng.random() < 0.4:
            ax.grid(True, lw=0.3, alpha=0.6)
        if rng.random() < 0.3:
            ax.set_title(_label(rng, 3), fontsize=fs * 1.1)
        if n_series > 1 or rng.random() < 0.3:
            ax.legend(frameon=rng.random() < 0.6, fontsize=fs * 0.9)
        for side in ('top', 'right'):
            ax.spines[side].set_visible(rng.random() < 0.4)
        # fixed margins: tight_layout measured the text and took 40% of
        # the chart's time
        fig.subplots_adjust(left=min(0.3, 28 / w_pt + 0.06),
                            bottom=min(0.35, 26 / h_pt + 0.06 +
                                       (0.08 if kind == 1 else 0.0)),
                            right=0.97, top=0.9 if ax.get_title() else 0.96)
        return _rgb(fig)


def diagram(rng: np.random.Generator, w_pt: float, h_pt: float,
            dpi: float = 110, patent: bool = False) -> np.ndarray:
    """A block diagram (boxes, arrows, labels) or, with ``patent``, a black
    line drawing with reference numerals.

    Returns:
        np.ndarray: ``uint8`` RGB image.
    """
    import matplotlib
    from matplotlib.patches import Circle, FancyArrowPatch, Rectangle
    with matplotlib.rc_context({'font.family': 'serif' if patent else
                                'sans-serif', 'font.size': 7}):
        fig = _figure(w_pt, h_pt, dpi, patent)
        ax = fig.add_axes([0, 0, 1, 1])
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis('off')
        n = int(rng.integers(3, 8))
        centres = []
        for i in range(n):
            cx, cy = rng.uniform(0.15, 0.85), rng.uniform(0.15, 0.85)
            bw, bh = rng.uniform(0.12, 0.3), rng.uniform(0.08, 0.2)
            face = 'white' if patent or rng.random() < 0.5 else \
                _PALETTES[0][i % 5] + '40'
            if rng.random() < 0.2:
                ax.add_patch(Circle((cx, cy), bh / 1.5, fill=False, lw=0.9))
            else:
                ax.add_patch(Rectangle((cx - bw / 2, cy - bh / 2), bw, bh,
                                       facecolor=face, edgecolor='black',
                                       lw=0.9, hatch='///' if patent and
                                       rng.random() < 0.2 else None))
            centres.append((cx, cy, bw, bh))
            if patent:
                tx, ty = cx + bw / 2 + 0.04, cy + bh / 2 + 0.04
                ax.plot([cx + bw / 3, tx], [cy + bh / 3, ty], 'k-', lw=0.5)
                ax.text(tx, ty, str(10 + 2 * i), fontsize=8)
            else:
                ax.text(cx, cy, _label(rng, 1), ha='center', va='center')
        for i in range(n - 1):
            a, b = centres[i], centres[i + 1]
            ax.add_patch(FancyArrowPatch(a[:2], b[:2], arrowstyle='-|>',
                                         mutation_scale=8, lw=0.8,
                                         shrinkA=12, shrinkB=12))
        return _rgb(fig)


def fit_aspect(rng: np.random.Generator, width: float,
               max_h: float) -> Tuple[float, float]:
    """A figure size (w, h) in points for a column ``width``."""
    w = width * float(rng.uniform(0.6, 1.0))
    h = min(max_h, w * float(rng.uniform(0.45, 0.8)))
    return w, h
