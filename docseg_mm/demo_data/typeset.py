# Copyright (c) docseg_mm contributors. All rights reserved.
"""Line breaking, hyphenation and justification.

A paragraph is a list of tokens ``(text, face)``; :func:`break_lines` fills
lines greedily at a measure, hyphenating a word that does not fit when the
remaining space allows a syllable; :func:`place_line` spreads a line for
justified, ragged, centred or right-aligned setting.
"""
from typing import List, Sequence, Tuple

from .fonts import Face

Token = Tuple[str, Face]
#: A set word: ``(text, face, x, width)``.
Placed = Tuple[str, Face, float, float]

_VOWELS = set('aeiouyAEIOUY')
_KEEP = ('ch', 'sh', 'th', 'ph', 'ck', 'ng', 'qu', 'wh', 'gh')


def hyphen_points(word: str) -> List[int]:
    """Positions where ``word`` may be hyphenated (syllable heuristic).

    Breaks go before a consonant that starts a syllable (``V-CV``) or
    between two consonants (``VC-CV``), never inside the digraphs of
    ``_KEEP``, leaving at least 3 letters on either side. Words with digits
    or capitals inside are not broken.

    Args:
        word (str): A word, possibly with trailing punctuation.

    Returns:
        list[int]: Break positions (prefix lengths), increasing.
    """
    core = word.rstrip('.,;:!?)')
    if len(core) < 6 or not core.isalpha() or not core[1:].islower():
        return []
    out = []
    for i in range(3, len(core) - 2):
        a, b, c = core[i - 1], core[i], core[i + 1]
        if core[i - 1:i + 1].lower() in _KEEP or \
                core[i:i + 2].lower() in _KEEP:
            continue
        if b not in _VOWELS and c in _VOWELS and a in _VOWELS:
            out.append(i)
        elif a not in _VOWELS and b not in _VOWELS and \
                core[i - 2] in _VOWELS:
            out.append(i)
    return out


def break_lines(tokens: Sequence[Token],
                width: float,
                size: float,
                indent: float = 0.0,
                hyphenate: bool = True
                ) -> List[List[Tuple[str, Face, float]]]:
    """Greedy line breaking with hyphenation.

    Args:
        tokens (Sequence[tuple]): ``(text, face)`` per word.
        width (float): Measure in points.
        size (float): Font size in points.
        indent (float): First-line indent. Defaults to 0.
        hyphenate (bool): Split words that overflow. Defaults to True.

    Returns:
        list[list[tuple]]: Lines of ``(text, face, width)``.
    """
    lines: List[List[Tuple[str, Face, float]]] = []
    cur: List[Tuple[str, Face, float]] = []
    used = indent
    queue = list(tokens)
    i = 0
    while i < len(queue):
        text, fc = queue[i]
        w = fc.width(text, size)
        gap = fc.width(' ', size) if cur else 0.0
        if used + gap + w <= width or not cur and w > width:
            cur.append((text, fc, w))
            used += gap + w
            i += 1
            continue
        if hyphenate:
            room = width - used - gap
            for p in reversed(hyphen_points(text)):
                head = text[:p] + '-'
                hw = fc.width(head, size)
                if hw <= room:
                    cur.append((head, fc, hw))
                    queue[i] = (text[p:], fc)
                    break
        lines.append(cur)
        cur, used = [], 0.0
    if cur:
        lines.append(cur)
    return lines


def place_line(line: Sequence[Tuple[str, Face, float]],
               x: float,
               width: float,
               size: float,
               align: str = 'justify',
               last: bool = False) -> List[Placed]:
    """Horizontal positions of the words of one line.

    Args:
        line (Sequence[tuple]): ``(text, face, width)`` per word.
        x (float): Left edge of the measure.
        width (float): Measure.
        size (float): Font size.
        align (str): ``'justify'``, ``'left'``, ``'center'`` or
            ``'right'``. Defaults to ``'justify'``.
        last (bool): Last line of a paragraph (set ragged when justified).
            Defaults to False.

    Returns:
        list[tuple]: ``(text, face, x, width)`` per word.
    """
    gaps = [fc.width(' ', size) for _, fc, _ in line[1:]]
    natural = sum(w for _, _, w in line) + sum(gaps)
    extra = max(0.0, width - natural)
    if align == 'justify' and not last and len(line) > 1 and \
            extra < 0.25 * width:
        gaps = [g + extra / len(gaps) for g in gaps]
        start = x
    elif align == 'center':
        start = x + extra / 2
    elif align == 'right':
        start = x + extra
    else:
        start = x
    out, cx = [], start
    for k, (text, fc, w) in enumerate(line):
        out.append((text, fc, cx, w))
        cx += w + (gaps[k] if k < len(gaps) else 0.0)
    return out
