# Copyright (c) docseg_mm contributors. All rights reserved.
"""Typeset the synthetic DocLayNet-style demo document set.

Example::

    python tools/misc/generate_demo_data.py --out data/demo --workers 2

Same as ``python -m docseg_mm.demo_data``; see
:func:`docseg_mm.demo_data.generate_demo_dataset` for the layout written.
"""
from docseg_mm.demo_data.cli import main

if __name__ == '__main__':
    main()
