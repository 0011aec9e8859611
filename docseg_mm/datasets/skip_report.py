# Copyright (c) docseg_mm contributors. All rights reserved.
"""Counted, logged skips: the one skip-reporting layer of the datasets.

A dataset that drops bad entries (an annotation with a broken box, a listed
image that does not exist, ...) instead of failing counts each drop under a
reason in :attr:`SkipReportMixin.skipped`, keeps the first offending
references per reason in :attr:`SkipReportMixin.skipped_ids` and writes one
log line per load. Structural errors are raised, not skipped (see
:mod:`docseg_mm.datasets.ann_checks`).
"""
import logging
from typing import Any, Dict, List, Optional, Sequence

import mmengine.fileio as fileio
from mmengine.logging import print_log

#: ``missing_images`` modes of the image-list datasets.
MISSING_MODES = ('error', 'skip', 'defer')


def summarize_ids(ids: Dict[str, List[Any]],
                  counts: Dict[str, int],
                  label: str = 'ann ids') -> str:
    """Format ``reason=count (<label> a, b, ...)`` items for a log line.

    Args:
        ids (dict[str, list]): First offending references per reason.
        counts (dict[str, int]): Count per reason.
        label (str): What the references are. Defaults to 'ann ids'.

    Returns:
        str: Semicolon separated summary, reasons sorted by name.
    """
    items = []
    for reason in sorted(counts):
        shown = ids.get(reason, [])
        more = ', ...' if counts[reason] > len(shown) else ''
        id_text = ', '.join(str(i) for i in shown)
        items.append(f'{reason}={counts[reason]} ({label} {id_text}{more})')
    return '; '.join(items)


class SkipReportMixin:
    """Skip counting and the per-load log line for dataset classes.

    Call :meth:`_reset_skips` when loading starts, :meth:`_skip` for every
    dropped entry and :meth:`_log_load_summary` at the end.

    Attributes:
        skipped (dict[str, int]): Reason -> number of skipped entries.
        skipped_ids (dict[str, list]): Reason -> the first
            :attr:`num_logged_ids` references (annotation ids, file names).
    """

    #: Reasons that are intended filtering, logged at INFO, not WARNING.
    NOTICE_REASONS: frozenset = frozenset()
    #: How many references per reason the log line lists.
    num_logged_ids: int = 5

    def _reset_skips(self) -> None:
        """Clear :attr:`skipped` and :attr:`skipped_ids`."""
        self.skipped: Dict[str, int] = {}
        self.skipped_ids: Dict[str, List[Any]] = {}

    def _skip(self, reason: str, ref: Any) -> None:
        """Count a skipped entry; always returns None.

        Args:
            reason (str): Why it is skipped (a short snake_case name).
            ref (Any): What is skipped (annotation id, file name...).
        """
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        refs = self.skipped_ids.setdefault(reason, [])
        if len(refs) < self.num_logged_ids:
            refs.append(ref)
        return None

    def _log_load_summary(self,
                          msg: str,
                          label: str = 'ann ids',
                          always: bool = True) -> None:
        """Log ``msg`` plus what was skipped, in one line.

        The level is WARNING when a reason outside :attr:`NOTICE_REASONS`
        occurred, else INFO.

        Args:
            msg (str): What was loaded.
            label (str): What the skipped references are. Defaults to
                'ann ids'.
            always (bool): Log even when nothing was skipped. Defaults to
                True.
        """
        if not self.skipped and not always:
            return
        level = logging.INFO
        if self.skipped:
            msg += (f'; skipped {sum(self.skipped.values())}: ' +
                    summarize_ids(self.skipped_ids, self.skipped, label))
            if set(self.skipped) - self.NOTICE_REASONS:
                level = logging.WARNING
        print_log(msg, logger='current', level=level)

    def _keep_existing(self,
                       paths: Sequence[str],
                       wheres: Sequence[str],
                       missing_images: str,
                       backend_args: Optional[dict] = None) -> List[int]:
        """Check that listed image files exist, as ``missing_images`` says.

        ``'error'`` raises on the first missing file, ``'skip'`` drops
        missing files (counted as ``missing_image``), ``'defer'`` does not
        check (the loader reports them).

        Args:
            paths (Sequence[str]): Image paths to check.
            wheres (Sequence[str]): Where each path comes from (e.g.
                ``labels/train.txt:12``), used in messages.
            missing_images (str): ``'error'``, ``'skip'`` or ``'defer'``.
            backend_args (dict, optional): mmengine file backend arguments.
                Defaults to None.

        Returns:
            list[int]: Indices of the entries to keep.

        Raises:
            FileNotFoundError: A file is missing and ``missing_images`` is
                ``'error'``.
        """
        if missing_images not in MISSING_MODES:
            raise ValueError(f'missing_images must be one of '
                             f'{MISSING_MODES}, got {missing_images!r}')
        if missing_images == 'defer':
            return list(range(len(paths)))
        keep = []
        for i, path in enumerate(paths):
            if fileio.exists(path, backend_args=backend_args):
                keep.append(i)
            elif missing_images == 'error':
                raise FileNotFoundError(
                    f'{type(self).__name__}: image {path!r} listed at '
                    f'{wheres[i]} does not exist (use missing_images='
                    "'skip' to drop such entries)")
            else:
                self._skip('missing_image', f'{path} ({wheres[i]})')
        return keep
