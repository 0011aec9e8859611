# Copyright (c) docseg_mm contributors. All rights reserved.
"""The library side of ``tools/infer.py``: one call, one report."""
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from .inferencer import DocSegInferencer
from .sources import PageError, check_inputs, parse_pages


@dataclass
class RunReport:
    """What an inference run did.

    Attributes:
        num_pages (int): Pages predicted.
        errors (list[PageError]): Inputs / pages that failed.
        files (dict): Run-level files written.
        seconds (float): Wall time of the run (model loading excluded).
        out_dir (str): Output folder.
        num_regions (int): Regions predicted.
    """
    num_pages: int = 0
    errors: List[PageError] = field(default_factory=list)
    files: Dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    out_dir: str = ''
    num_regions: int = 0

    @property
    def exit_code(self) -> int:
        """0: all good; 2: some inputs or pages failed (the others are
        written); 1: nothing could be predicted."""
        if not self.errors:
            return 0
        return 2 if self.num_pages else 1

    def summary(self) -> str:
        """A few lines for the console."""
        rate = self.num_pages / self.seconds if self.seconds > 0 else 0.0
        lines = [
            f'{self.num_pages} page(s) predicted in {self.seconds:.1f} s '
            f'({rate:.2f} pages/s), {self.num_regions} region(s); '
            f'{len(self.errors)} error(s).'
        ]
        lines += [f'  error: {e}' for e in self.errors]
        for key, path in sorted(self.files.items()):
            lines.append(f'  {key}: {path}')
        if self.out_dir:
            lines.append(f'  per-page JSON: {self.out_dir}/preds/, '
                         f'pictures: {self.out_dir}/vis/')
        return '\n'.join(lines)


def infer_documents(inputs: Sequence[str],
                    config: Optional[str],
                    checkpoint: Optional[str],
                    out_dir: str,
                    device: Optional[str] = None,
                    batch_size: int = 1,
                    pages: Optional[str] = None,
                    dpi: float = 150.,
                    score_thr: float = 0.3,
                    classes: Optional[Sequence[str]] = None,
                    class_embeddings: Optional[str] = None,
                    background: Optional[str] = None,
                    vis: bool = True,
                    with_text: bool = True,
                    num_workers: int = 1,
                    cfg_options: Optional[dict] = None,
                    show_progress: bool = True) -> RunReport:
    """Predict every page of ``inputs`` and write the results to
    ``out_dir`` (see :mod:`docseg_mm.apis.writers`).

    Inputs are checked (URLs, page selection) before the model is built.
    Arguments are those of :class:`DocSegInferencer` and its ``__call__``.

    Returns:
        RunReport: Counts, errors, files and time.
    """
    check_inputs(list(inputs))
    parse_pages(pages)
    infer = DocSegInferencer(
        config, checkpoint, device=device, show_progress=show_progress,
        cfg_options=cfg_options, class_embeddings=class_embeddings,
        background=background)
    start = time.perf_counter()
    out = infer(list(inputs), batch_size=batch_size, out_dir=out_dir,
                no_save_vis=not vis, keep_predictions=False,
                classes=classes, score_thr=score_thr, dpi=dpi, pages=pages,
                with_text=with_text, num_workers=num_workers)
    seconds = time.perf_counter() - start
    return RunReport(out['num_pages'], list(out['errors']),
                     dict(out.get('files', {})), seconds, out_dir,
                     out.get('num_regions', 0))
