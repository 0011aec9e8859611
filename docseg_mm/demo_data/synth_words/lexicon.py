# Copyright (c) docseg_mm contributors. All rights reserved.
"""The words that the word renderer draws: the typesetter's English word
lists (:mod:`docseg_mm.demo_data.words`) with their inflections, in lower,
title and upper case, with some punctuation, plus numbers and random
letter/digit strings (so that a recogniser must read, not guess)."""
import string
from functools import lru_cache
from typing import Tuple

import numpy as np

from .. import words as W

_ALNUM = string.ascii_letters + string.digits
_PUNCT_AFTER = ',.;:)'


@lru_cache(None)
def lexicon() -> Tuple[str, ...]:
    """Sorted distinct ASCII base words (lower case except names)."""
    out = set()
    for lst in (W.DET, W.PREP, W.CONJ, W.PRON, W.ADV, W.ADJ, W.TITLE_NOUN,
                W.FIRST, W.LAST):
        out.update(lst)
    for n in W.NOUN:
        out.add(n)
        out.add(n + 'es' if n.endswith(('s', 'x', 'ch', 'sh')) else n[:-1] +
                'ies' if n.endswith('y') and n[-2] not in 'aeiou' else n + 's')
    for v in W.VERB:
        out.add(v)
        stem = v[:-1] if v.endswith('e') else v
        out.add(stem + 'ing')
        out.add(v + 'd' if v.endswith('e') else v[:-1] +
                'ied' if v.endswith('y') and v[-2] not in 'aeiou' else v +
                'ed')
    return tuple(sorted(w for w in out if w.isascii() and w.isalpha()))


def _number(rng: np.random.Generator) -> str:
    while True:
        n = W.number(rng)
        if ' ' not in n:
            return n


def sample_word(rng: np.random.Generator, max_len: int = 12) -> str:
    """One word to render, at most ``max_len`` characters.

    Mix: 80% lexicon words (60% lower, 25% title, 15% upper case; 12% with
    a trailing punctuation mark, 3% in parentheses), 8% numbers, 12%
    random letter/digit strings of 2-8 characters.

    Args:
        rng (np.random.Generator): Random source.
        max_len (int): Longest word. Defaults to 12.

    Returns:
        str: The word (characters of DiG's charset, no spaces).
    """
    k = rng.random()
    if k < 0.12:
        n = int(rng.integers(2, min(8, max_len) + 1))
        return ''.join(_ALNUM[int(i)]
                       for i in rng.integers(len(_ALNUM), size=n))
    if k < 0.20:
        return _number(rng)[:max_len]
    lex = lexicon()
    word = lex[int(rng.integers(len(lex)))]
    c = rng.random()
    if c < 0.15:
        word = word.upper()
    elif c < 0.4:
        word = word[:1].upper() + word[1:]
    p = rng.random()
    if p < 0.12 and len(word) < max_len:
        word += _PUNCT_AFTER[int(rng.integers(len(_PUNCT_AFTER)))]
    elif p < 0.15 and len(word) + 2 <= max_len:
        word = f'({word})'
    return word[:max_len]
