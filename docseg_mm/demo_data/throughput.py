# Copyright (c) docseg_mm contributors. All rights reserved.
"""Generation throughput (pages per second per core) of the demo set."""
import os
import tempfile
import time
from typing import Dict, Optional


def measure_throughput(num_pages: int = 48,
                       dpi: float = 96.0,
                       words_per_page: int = 8,
                       workers: int = 1,
                       seed: int = 123,
                       out_dir: Optional[str] = None) -> Dict[str, float]:
    """Time :func:`~.generator.generate_demo_dataset` on a train-only set.

    Everything is included (typesetting, PDF, rendering, PNG writing, word
    crops, COCO and semantic masks); the process start-up of the workers is
    too, as in real use.

    Args:
        num_pages (int): Train pages to generate. Defaults to 48.
        dpi (float): Resolution. Defaults to 96.
        words_per_page (int): Word crops per page. Defaults to 8.
        workers (int): Rendering processes. Defaults to 1.
        seed (int): Dataset seed. Defaults to 123.
        out_dir (str, optional): Where to write (a temporary folder,
            removed afterwards, when None). Defaults to None.

    Returns:
        dict: ``pages``, ``seconds``, ``pages_per_s`` and
        ``pages_per_s_per_core`` (divided by ``workers``).
    """
    from .generator import generate_demo_dataset
    with tempfile.TemporaryDirectory() as tmp:
        root = out_dir or os.path.join(tmp, 'demo')
        start = time.perf_counter()
        generate_demo_dataset(root, num_train=num_pages, num_val=0,
                              num_unlabeled=0, num_per_page_type=0, dpi=dpi,
                              words_per_page=words_per_page, seed=seed,
                              overwrite=True, workers=workers)
        seconds = time.perf_counter() - start
    rate = num_pages / seconds
    return dict(pages=num_pages, seconds=seconds, pages_per_s=rate,
                pages_per_s_per_core=rate / max(1, workers))
