# Copyright (c) docseg_mm contributors. All rights reserved.
"""Render one word image directly with a TrueType face (FreeType through
matplotlib's ``FT2Font``): the faces the install already brings (DejaVu,
STIX from matplotlib; Vera from ReportLab), several sizes, faded or
inverted ink, tinted or graded paper, then the page crops' variations
(:func:`~docseg_mm.demo_data.word_crops.vary`: slant, rotation, blur,
noise, JPEG) and an occasional low-resolution pass."""
import string
from functools import lru_cache
from typing import Sequence, Tuple

import cv2
import numpy as np

from ..fonts import font_file
from ..word_crops import vary

#: The faces tried, by file name (matplotlib's ``fonts/ttf``, ReportLab's
#: ``fonts``); those missing a glyph of :data:`CHARSET` are left out.
FONT_NAMES = ('DejaVuSans', 'DejaVuSans-Bold', 'DejaVuSans-Oblique',
              'DejaVuSans-BoldOblique', 'DejaVuSerif', 'DejaVuSerif-Bold',
              'DejaVuSerif-Italic', 'DejaVuSerif-BoldItalic', 'DejaVuSansMono',
              'DejaVuSansMono-Bold', 'DejaVuSansMono-Oblique', 'STIXGeneral',
              'STIXGeneralBol', 'STIXGeneralItalic', 'STIXGeneralBolIta',
              'Vera', 'VeraBd', 'VeraIt', 'VeraBI')
#: Printable ASCII without whitespace: the 94 characters of DiG's charset.
CHARSET = string.printable[:-6]
#: Font size range in pixels (em height).
SIZE_PX = (18.0, 40.0)


@lru_cache(None)
def font_paths() -> Tuple[str, ...]:
    """Paths of the faces of :data:`FONT_NAMES` that draw all of
    :data:`CHARSET` (checked once through their character maps)."""
    from matplotlib.ft2font import FT2Font
    out = []
    for name in FONT_NAMES:
        try:
            path = font_file(name)
        except FileNotFoundError:
            continue
        font = FT2Font(path)
        if all(font.get_char_index(ord(c)) for c in CHARSET):
            out.append(path)
    if not out:
        raise FileNotFoundError('none of the TrueType faces ' +
                                ', '.join(FONT_NAMES) +
                                ' was found in matplotlib or ReportLab')
    return tuple(out)


@lru_cache(None)
def _font(path: str):
    from matplotlib.ft2font import FT2Font
    return FT2Font(path)


def ink_mask(text: str, font_path: str, size_px: float) -> np.ndarray:
    """Anti-aliased coverage (uint8, 0..255) of ``text`` on a line box.

    The box is as tall as the face's ascender + descender at ``size_px``
    with the text on its baseline, so short words (``ace``) and words with
    ascenders or descenders (``Ty``) sit in the box like on a page line.

    Args:
        text (str): The word (characters the face draws).
        font_path (str): TrueType file.
        size_px (float): Font size (em) in pixels.

    Returns:
        np.ndarray: (H, W) coverage.
    """
    font = _font(font_path)
    font.set_size(float(size_px), 72.0)
    font.set_text(text, 0.0)
    font.draw_glyphs_to_bitmap(antialiased=True)
    glyphs = np.asarray(font.get_image())
    descent = int(round(font.get_descent() / 64.0))
    em = font.units_per_EM
    asc = int(np.ceil(font.ascender * size_px / em))
    desc = int(np.ceil(-font.descender * size_px / em))
    h = max(asc + desc, glyphs.shape[0])
    top = int(np.clip(asc + descent - glyphs.shape[0], 0, h - glyphs.shape[0]))
    out = np.zeros((h, glyphs.shape[1]), np.uint8)
    out[top:top + glyphs.shape[0]] = glyphs
    return out


def _paper(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A light background: flat tint, horizontal gradient or mottled."""
    base = rng.uniform(170, 255) * np.array(
        [rng.uniform(0.8, 1.0),
         rng.uniform(0.85, 1.0), 1.0])
    out = np.broadcast_to(base, (h, w, 3)).astype(np.float32)
    k = rng.random()
    if k < 0.25:
        ramp = np.linspace(rng.uniform(0.75, 1.0), rng.uniform(0.75, 1.0), w)
        out = out * ramp[None, :, None]
    elif k < 0.4:
        blob = cv2.resize(
            rng.uniform(0.8, 1.0, (4, 8)).astype(np.float32), (w, h),
            interpolation=cv2.INTER_CUBIC)
        out = out * blob[..., None]
    return out


def render_word(rng: np.random.Generator,
                text: str,
                fonts: Sequence[str] = None) -> np.ndarray:
    """A BGR image of ``text`` in a random face, size and appearance.

    Args:
        rng (np.random.Generator): Random source (the only one used).
        text (str): The word; its characters are in :data:`CHARSET`.
        fonts (Sequence[str], optional): TrueType files to draw from.
            Defaults to None (:func:`font_paths`).

    Returns:
        np.ndarray: (H, W, 3) uint8 image showing exactly ``text``.
    """
    fonts = fonts or font_paths()
    path = fonts[int(rng.integers(len(fonts)))]
    size = float(rng.uniform(*SIZE_PX))
    alpha = ink_mask(text, path, size).astype(np.float32) / 255.0
    px = int(size * rng.uniform(0.05, 0.35))
    py = int(size * rng.uniform(0.0, 0.15))
    alpha = np.pad(alpha, ((py, py), (px, px)))
    h, w = alpha.shape
    paper = _paper(rng, h, w)
    ink = rng.uniform(0, 90) * np.array(
        [rng.uniform(0.6, 1.0),
         rng.uniform(0.6, 1.0), 1.0])
    if rng.random() < 0.12:  # light text on a dark field
        paper, ink = 255.0 - paper, 255.0 - ink
    img = paper * (1 - alpha[..., None]) + ink * alpha[..., None]
    img = vary(rng, np.clip(img, 0, 255).astype(np.uint8))
    if rng.random() < 0.2:  # scanned at a low resolution
        f = float(rng.uniform(0.4, 0.7))
        small = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        img = cv2.resize(
            small, (img.shape[1], img.shape[0]),
            interpolation=cv2.INTER_LINEAR)
    return img
