# Copyright (c) docseg_mm contributors. All rights reserved.
"""``python -m docseg_mm.demo_data [--out data/demo] ...``"""
from .cli import main

if __name__ == '__main__':
    main()
