# Copyright (c) docseg_mm contributors. All rights reserved.
"""Picture content: photo-like images, charts, diagrams, screenshots and line
drawings. Every picture is one ``Picture`` item; round ones (pie charts,
vignette photos) also carry their outline polygon."""
from typing import List, Tuple

import cv2
import numpy as np

from .render import Block, Item, blank
from .text import LINE_TYPE, TextStyle, measure, put_text, title_words

PICTURE_KINDS: Tuple[str,
                     ...] = ('photo', 'plot', 'bars', 'diagram', 'screenshot',
                             'pie', 'round_photo', 'line_art')

#: Chart colors (BGR), saturated enough to stay dark-ish on paper.
PALETTE: Tuple[Tuple[int, int, int],
               ...] = ((180, 119, 31), (14, 127, 255), (44, 160, 44),
                       (40, 39, 214), (189, 103, 148), (75, 86, 140),
                       (194, 119, 227), (34, 189, 188), (207, 190,
                                                         23), (127, 127, 127))


def _colors(rng: np.random.Generator, n: int) -> List[Tuple[int, int, int]]:
    idx = rng.permutation(len(PALETTE))[:n]
    return [PALETTE[i] for i in idx]


def _photo(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Smooth, photo-like colors: a scene gradient, blobs and texture."""
    gh, gw = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    base = rng.uniform(40, 215, (gh, gw, 3)).astype(np.float32)
    img = cv2.resize(base, (w, h), interpolation=cv2.INTER_CUBIC)
    if rng.random() < 0.55:  # landscape: sky over ground
        horizon = int(h * rng.uniform(0.3, 0.65))
        sky_top = rng.uniform(150, 230, 3).astype(np.float32)
        sky_top[0] = max(sky_top[0], 200)  # blue-ish
        sky_bot = np.minimum(255, sky_top + rng.uniform(0, 30, 3)).astype(
            np.float32)
        t = np.linspace(0, 1, horizon, dtype=np.float32)[:, None, None]
        img[:horizon] = img[:horizon] * 0.25 + 0.75 * (
            sky_top * (1 - t) + sky_bot * t)
        ground = rng.uniform(30, 140, 3).astype(np.float32)
        img[horizon:] = img[horizon:] * 0.4 + 0.6 * ground
        if rng.random() < 0.5:
            r = int(min(h, w) * rng.uniform(0.05, 0.12))
            cv2.circle(img, (int(rng.integers(
                r, w - r + 1)), int(rng.integers(r, max(r + 1, horizon - r)))),
                       r, (200, 240, 250), -1, LINE_TYPE)
    for _ in range(int(rng.integers(2, 7))):
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        ax = (int(rng.integers(max(2, w // 12), max(3, w // 3))),
              int(rng.integers(max(2, h // 12), max(3, h // 3))))
        color = tuple(float(v) for v in rng.uniform(20, 220, 3))
        cv2.ellipse(img, c, ax, float(rng.uniform(0, 180)), 0, 360, color, -1,
                    LINE_TYPE)
    img = cv2.GaussianBlur(img, (0, 0), max(1.0, min(h, w) / 40))
    detail = rng.normal(0, 9, (h // 8 + 2, w // 8 + 2, 1)).astype(np.float32)
    img += cv2.resize(
        detail, (w, h), interpolation=cv2.INTER_CUBIC)[:, :, None]
    img = cv2.GaussianBlur(img, (0, 0), 1.5)
    return np.clip(img, 12, 232).astype(np.uint8)


def _axes_frame(rng: np.random.Generator, img: np.ndarray,
                st: TextStyle) -> Tuple[int, int, int, int]:
    """Draw axes, ticks, tick labels; return the plot area x0, y0, x1, y1."""
    h, w = img.shape[:2]
    lab_w = measure('100', st) + 4
    x0, x1 = lab_w + 2, w - 3
    y0, y1 = 3, h - st.height - 4
    ink = (40, 40, 40)
    long_labels = measure('2010', st) + 6 <= (x1 - x0) / 4
    n_x = int(rng.integers(4, 7))
    label_w = measure('2010' if long_labels else '10', st) + 6
    n_x = max(2, min(n_x, int((x1 - x0) // label_w)))
    n_y = int(rng.integers(3, 6))
    grid = rng.random() < 0.5
    for k in range(n_y + 1):
        y = int(round(y1 - (y1 - y0) * k / n_y))
        if grid and k:
            cv2.line(img, (x0, y), (x1, y), (215, 215, 215), 1)
        cv2.line(img, (x0 - 3, y), (x0, y), ink, 1)
        label = str(k * 20 if n_y < 5 else k * 25)
        put_text(img, label, x0 - 5 - measure(label, st), y + st.cap // 2, st)
    for k in range(n_x + 1):
        x = int(round(x0 + (x1 - x0) * k / n_x))
        cv2.line(img, (x, y1), (x, y1 + 3), ink, 1)
        label = str(2010 + 2 * k) if long_labels else str(k)
        lw = measure(label, st)
        put_text(img, label, min(w - lw, max(0, x - lw // 2)), h - 2, st)
    cv2.line(img, (x0, y0), (x0, y1), ink, 1)
    cv2.line(img, (x0, y1), (x1, y1), ink, 1)
    if rng.random() < 0.4:
        cv2.rectangle(img, (x0, y0), (x1, y1), ink, 1)
    return x0, y0, x1, y1


def _plot(rng: np.random.Generator, h: int, w: int, st: TextStyle,
          bars: bool) -> np.ndarray:
    img = blank(h, w)
    x0, y0, x1, y1 = _axes_frame(rng, img, st)
    n_series = int(rng.integers(1, 4))
    colors = _colors(rng, n_series)
    if bars:
        n_groups = int(rng.integers(3, 8))
        gw = (x1 - x0) / n_groups
        bw = max(2, int(gw * 0.7 / n_series))
        for g in range(n_groups):
            for s in range(n_series):
                val = rng.uniform(0.15, 0.95)
                bx = int(x0 + g * gw + gw * 0.15 + s * bw)
                cv2.rectangle(img, (bx, int(y1 - (y1 - y0) * val)),
                              (bx + bw - 1, y1 - 1), colors[s], -1)
    else:
        n = 40
        xs = np.linspace(x0 + 2, x1 - 2, n)
        for s in range(n_series):
            walk = np.cumsum(rng.normal(0, 1, n))
            walk = np.convolve(walk, np.ones(5) / 5, mode='same')
            lo, hi = walk.min(), walk.max()
            vals = 0.1 + 0.8 * (walk - lo) / max(hi - lo, 1e-6)
            ys = y1 - (y1 - y0) * vals
            pts = np.stack([xs, ys], 1).astype(np.int32)
            cv2.polylines(img, [pts], False, colors[s],
                          2 if rng.random() < 0.5 else 1, LINE_TYPE)
            if rng.random() < 0.3:
                for p in pts[::5]:
                    cv2.circle(img, tuple(int(v) for v in p), 2, colors[s], -1)
    if n_series > 1 and x1 - x0 > 80:  # legend
        lx, ly = x1 - int((x1 - x0) * 0.35), y0 + 4
        for s in range(n_series):
            yy = ly + s * (st.height + 2) + st.cap // 2 + 1
            cv2.line(img, (lx, yy), (lx + 10, yy), colors[s], 2)
            put_text(img,
                     title_words(rng, 1)[0][:6], lx + 13,
                     ly + s * (st.height + 2) + st.ascent, st)
    return img


def _diagram(rng: np.random.Generator, h: int, w: int,
             st: TextStyle) -> np.ndarray:
    img = blank(h, w)
    rows = int(rng.integers(1, 4)) if h > 60 else 1
    cols = int(rng.integers(2, 5)) if w > 120 else 2
    cell_w, cell_h = w / cols, h / rows
    bw, bh = int(cell_w * 0.72), int(min(cell_h * 0.62, st.height * 3.2))
    fill = tuple(int(v) for v in rng.uniform(200, 245, 3))
    ink = (45, 45, 45)
    centers = []
    order = []
    for r in range(rows):
        cs = range(cols) if r % 2 == 0 else range(cols - 1, -1, -1)
        for c in cs:
            order.append((r, c))
    for r, c in order:
        cx = int(cell_w * (c + 0.5))
        cy = int(cell_h * (r + 0.5))
        if r == 0 and c == 0:
            cy = max(cy, bh // 2 + 1)
        p0 = (cx - bw // 2, cy - bh // 2)
        p1 = (cx + bw // 2, cy + bh // 2)
        shape = rng.random()
        if shape < 0.75:
            cv2.rectangle(img, p0, p1, fill, -1)
            cv2.rectangle(img, p0, p1, ink, 1)
        else:
            cv2.ellipse(img, (cx, cy), (bw // 2, bh // 2), 0, 0, 360, fill, -1,
                        LINE_TYPE)
            cv2.ellipse(img, (cx, cy), (bw // 2, bh // 2), 0, 0, 360, ink, 1,
                        LINE_TYPE)
        label = title_words(rng, 1)[0]
        while label and measure(label, st) > bw - 6:
            label = label[:-1]
        if label:
            put_text(img, label, cx - measure(label, st) // 2,
                     cy + st.cap // 2, st)
        centers.append((cx, cy))
    for (ax, ay), (bx, by) in zip(centers[:-1], centers[1:]):
        if ay == by:
            sx = 1 if bx > ax else -1
            p, q = (ax + sx * bw // 2, ay), (bx - sx * bw // 2, by)
        else:
            p, q = (ax, ay + bh // 2), (bx, by - bh // 2)
        cv2.arrowedLine(img, p, q, ink, 1, LINE_TYPE, tipLength=0.25)
    return img


def _screenshot(rng: np.random.Generator, h: int, w: int,
                st: TextStyle) -> np.ndarray:
    img = np.empty((h, w, 3), np.uint8)
    img[:] = (238, 238, 238)
    bar_h = max(8, st.height + 4)
    bar = tuple(int(v) for v in rng.uniform(90, 200, 3))
    img[:bar_h] = bar
    put_text(img, ' '.join(title_words(rng, 2)), 6, bar_h - 3,
             st.replace(color=(250, 250, 250)))
    side = int(w * rng.uniform(0.2, 0.3)) if w > 150 else 0
    if side:
        img[bar_h:, :side] = (215, 215, 215)
        y = bar_h + 6
        while y + st.height < h - 4:
            put_text(img, ' '.join(title_words(rng, 1))[:8], 5, y + st.ascent,
                     st.replace(color=(70, 70, 70)))
            y += st.height + 5
    x = side + 8
    y = bar_h + 8
    while y + st.height + 8 < h - 6:
        if rng.random() < 0.55:  # label + input field
            lab = title_words(rng, 1)[0][:8] + ':'
            put_text(img, lab, x, y + st.ascent + 2,
                     st.replace(color=(50, 50, 50)))
            fx = x + measure('Wwwwwwwww:', st)
            cv2.rectangle(img, (fx, y), (w - 8, y + st.height + 4),
                          (255, 255, 255), -1)
            cv2.rectangle(img, (fx, y), (w - 8, y + st.height + 4),
                          (120, 120, 120), 1)
        else:  # buttons
            bx = x
            for _ in range(int(rng.integers(1, 4))):
                lab = title_words(rng, 1)[0][:6]
                bw = measure(lab, st) + 12
                if bx + bw > w - 8:
                    break
                cv2.rectangle(img, (bx, y), (bx + bw, y + st.height + 4), bar,
                              -1)
                put_text(img, lab, bx + 6, y + st.ascent + 2,
                         st.replace(color=(250, 250, 250)))
                bx += bw + 8
        y += st.height + 12
    cv2.rectangle(img, (0, 0), (w - 1, h - 1), (90, 90, 90), 1)
    return img


def _line_art(rng: np.random.Generator, h: int, w: int,
              st: TextStyle) -> np.ndarray:
    """Patent-style black line drawing with reference numerals."""
    img = blank(h, w)
    ink = (20, 20, 20)
    m = max(6, int(min(h, w) * 0.06))
    pad = measure('100', st) + 10
    x0, y0, x1, y1 = pad, m, w - pad, h - m
    cv2.rectangle(img, (x0, y0), (x1, y1), ink, 2)
    shapes = []
    for _ in range(int(rng.integers(2, 6))):
        if x1 - x0 < 20 or y1 - y0 < 20:
            break
        cx = int(rng.integers(x0 + 10, x1 - 9))
        cy = int(rng.integers(y0 + 10, y1 - 9))
        rx = int(rng.integers(5, max(6, (x1 - x0) // 5)))
        ry = int(rng.integers(5, max(6, (y1 - y0) // 5)))
        if rng.random() < 0.5:
            cv2.rectangle(img, (max(x0, cx - rx), max(y0, cy - ry)),
                          (min(x1, cx + rx), min(y1, cy + ry)), ink, 1)
        else:
            r = min(rx, ry, cx - x0, x1 - cx, cy - y0, y1 - cy)
            cv2.circle(img, (cx, cy), max(3, r), ink, 1, LINE_TYPE)
        shapes.append((cx, cy))
    if rng.random() < 0.5:  # hatching in a band
        yb = int(rng.integers(y0, max(y0 + 1, y1 - 12)))
        for xx in range(x0, x1 - 8, 6):
            cv2.line(img, (xx, yb + 10), (xx + 8, yb), ink, 1)
    for k, (cx, cy) in enumerate(shapes):  # reference numerals
        num = str(10 + 2 * k + 2 * int(rng.integers(0, 3)))
        left = k % 2 == 0
        tx = 2 if left else w - measure(num, st) - 2
        ty = int(
            np.clip(cy + int(rng.integers(-15, 16)), st.ascent + 1,
                    h - st.descent - 1))
        put_text(img, num, tx, ty, st)
        lx = tx + measure(num, st) + 2 if left else tx - 2
        cv2.line(img, (lx, ty - st.cap // 2), (cx, cy), ink, 1, LINE_TYPE)
    return img


def _pie(rng: np.random.Generator, d: int) -> np.ndarray:
    img = blank(d, d)
    c, r = (d // 2, d // 2), d // 2 - 1
    fracs = rng.dirichlet(np.ones(int(rng.integers(3, 7))) * 2)
    colors = _colors(rng, len(fracs))
    start = float(rng.uniform(0, 360))
    for f, col in zip(fracs, colors):
        end = start + 360 * f
        cv2.ellipse(img, c, (r, r), 0, start, end, col, -1, LINE_TYPE)
        start = end
    cv2.circle(img, c, r, (60, 60, 60), 1, LINE_TYPE)
    return img


def picture(rng: np.random.Generator, kind: str, width: int, height: int,
            label_style: TextStyle) -> Block:
    """Draw one picture as a block of (about) ``width`` x ``height``.

    Args:
        rng (np.random.Generator): Random source.
        kind (str): One of :data:`PICTURE_KINDS`.
        width (int): Width.
        height (int): Height (pie charts are square with the smaller side).
        label_style (TextStyle): Style of small labels inside charts and
            diagrams (scaled down from it).

    Returns:
        Block: One ``Picture`` item; round pictures carry a polygon.
    """
    width, height = max(24, int(width)), max(24, int(height))
    st = label_style.replace(
        scale=label_style.scale * 0.8,
        thickness=1,
        color=(40, 40, 40),
        font=cv2.FONT_HERSHEY_SIMPLEX)
    polygon = None
    if kind == 'photo':
        img = _photo(rng, height, width)
    elif kind in ('plot', 'bars'):
        img = _plot(rng, height, width, st, bars=kind == 'bars')
    elif kind == 'diagram':
        img = _diagram(rng, height, width, st)
    elif kind == 'screenshot':
        img = _screenshot(rng, height, width, st)
    elif kind == 'line_art':
        img = _line_art(rng, height, width, st)
    elif kind == 'pie':
        d = min(width, height)
        img = _pie(rng, d)
        polygon = cv2.ellipse2Poly((d // 2, d // 2), (d // 2, d // 2), 0, 0,
                                   360, 15)
    elif kind == 'round_photo':
        img = _photo(rng, height, width)
        mask = np.zeros((height, width), np.uint8)
        center, axes = (width // 2, height // 2), (width // 2 - 1,
                                                   height // 2 - 1)
        cv2.ellipse(mask, center, axes, 0, 0, 360, 255, -1)
        img[mask == 0] = 255
        polygon = cv2.ellipse2Poly(center, axes, 0, 0, 360, 15)
    else:
        raise ValueError(f'unknown picture kind {kind!r}')
    h, w = img.shape[:2]
    poly = None if polygon is None else polygon.astype(np.float64)
    return Block(img, [Item('Picture', (0, 0, w, h), poly)])
