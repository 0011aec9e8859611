# Copyright (c) docseg_mm contributors. All rights reserved.
"""A progress bar over the pages of a run (rich, on stderr)."""
from typing import Optional


class PageProgress:
    """Count pages done (and failed) with a rich progress bar.

    Args:
        total (int): Pages expected.
        enabled (bool): Show the bar. Defaults to True.
    """

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self._progress: Optional[object] = None
        if enabled and total > 0:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn,
                                       Progress, TextColumn,
                                       TimeElapsedColumn,
                                       TimeRemainingColumn)
            self._progress = Progress(
                TextColumn('[bold]pages'), BarColumn(), MofNCompleteColumn(),
                TextColumn('{task.fields[failed]} failed'),
                TimeElapsedColumn(), TimeRemainingColumn(),
                console=Console(stderr=True), transient=False)
            self._task = self._progress.add_task('pages', total=total,
                                                 failed=0)
            self._progress.start()

    def advance(self, counted: bool = True, ok: bool = True) -> None:
        """One page finished (``counted=False``: an input that was not a
        page of the total, e.g. a missing file)."""
        if not ok:
            self.failed += 1
        if counted:
            self.done += 1
        if self._progress is not None:
            self._progress.update(self._task, advance=1 if counted else 0,
                                  failed=self.failed)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
