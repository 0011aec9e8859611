# Copyright (c) docseg_mm contributors. All rights reserved.
"""Word crops for text recognition: words typeset on the pages, re-rendered
from the PDF at a random resolution, with their exact transcription, then
varied (slant, blur, noise, paper tone, contrast, JPEG)."""
from typing import List, Tuple

import cv2
import numpy as np

from .page import Page
from .render import render_region

#: Height range (pixels) of the font size in a crop.
SIZE_PX = (16.0, 44.0)


def pick_words(rng: np.random.Generator, page: Page, k: int) -> List[dict]:
    """Up to ``k`` words of a page with at least one letter or digit."""
    cands = [w for w in page.words
             if any(c.isalnum() for c in w['text']) and
             w['box'][2] - w['box'][0] > 1 and '\t' not in w['text']]
    if not cands:
        return []
    idx = rng.choice(len(cands), size=min(k, len(cands)), replace=False)
    return [cands[int(i)] for i in sorted(idx)]


def vary(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """Random appearance changes of a BGR word crop (not its text)."""
    out = img.astype(np.float32)
    if rng.random() < 0.35:  # paper tone / gray background
        tone = rng.uniform(0.75, 1.0) * np.array(
            [rng.uniform(0.85, 1.0), rng.uniform(0.9, 1.0), 1.0])
        out = out * tone
    if rng.random() < 0.3:  # faded or dark ink
        out = 255 - (255 - out) * rng.uniform(0.55, 1.0)
    h, w = out.shape[:2]
    if rng.random() < 0.4:  # slant (italic-like shear) or slight rotation
        s = float(rng.uniform(-0.3, 0.3))
        m = np.array([[1, s, -s * h / 2], [0, 1, 0]], np.float32)
        if rng.random() < 0.5:
            m = cv2.getRotationMatrix2D((w / 2, h / 2),
                                        float(rng.uniform(-3, 3)), 1.0)
        border = tuple(float(v) for v in np.median(
            out.reshape(-1, 3), axis=0))
        out = cv2.warpAffine(out, m, (w, h), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT,
                             borderValue=border)
    if rng.random() < 0.3:
        k = 3 if rng.random() < 0.7 else 5
        out = cv2.GaussianBlur(out, (k, k), 0)
    if rng.random() < 0.3:
        out = out + rng.normal(0, rng.uniform(3, 15), out.shape)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.25:
        q = int(rng.integers(30, 80))
        ok, enc = cv2.imencode('.jpg', out, [cv2.IMWRITE_JPEG_QUALITY, q])
        out = cv2.imdecode(enc, cv2.IMREAD_COLOR)
    return out


def crop_words(rng: np.random.Generator, pdf, index: int, page: Page,
               k: int) -> List[Tuple[np.ndarray, str]]:
    """``k`` varied crops ``(BGR image, transcription)`` of a page's words.

    Args:
        rng (np.random.Generator): Random source.
        pdf: The open ``pypdfium2.PdfDocument`` holding the page.
        index (int): Page index in the document.
        page (Page): The composed page (its ``words``).
        k (int): Crops wanted.

    Returns:
        list[tuple]: Crops and their transcriptions.
    """
    out = []
    for w in pick_words(rng, page, k):
        size = w['size']
        dpi = float(rng.uniform(*SIZE_PX)) / size * 72.0
        x0, y0, x1, y1 = w['box']
        px = size * float(rng.uniform(0.0, 0.12))
        py = size * float(rng.uniform(0.0, 0.2))
        img = render_region(pdf, index, (x0 - px, y0 - py, x1 + px,
                                         y1 + py), dpi)
        if img.shape[0] < 4 or img.shape[1] < 4:
            continue
        out.append((vary(rng, img), w['text']))
    return out
