# Copyright (c) docseg_mm contributors. All rights reserved.
"""Word images rendered directly with TrueType faces (many more labelled and
unlabeled words than the demo pages give) for the DiG demo.

A sub-package on purpose: the page generator fingerprints the modules of
``docseg_mm/demo_data`` itself, so this renderer can change without
invalidating a rendered page set (``make demo``).
"""
from .lexicon import lexicon, sample_word
from .render import CHARSET, font_paths, ink_mask, render_word
from .writer import FORMAT_VERSION, generate_rendered_words

__all__ = [
    'CHARSET', 'FORMAT_VERSION', 'font_paths', 'generate_rendered_words',
    'ink_mask', 'lexicon', 'render_word', 'sample_word'
]
