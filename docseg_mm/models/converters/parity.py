# Copyright (c) docseg_mm contributors. All rights reserved.
"""Comparison of an original implementation with its converted docseg_mm
model: the proof a converter owes its users.

The parity tools (``tools/analysis_tools/docsam_parity.py``,
``tools/analysis_tools/selfdocseg_parity.py``) run the original code and the
converted docseg_mm model on the same inputs and collect, per stage (or per
phase) and per output, the largest absolute difference and the largest
magnitude of the original's output. :class:`ParityReport` holds these rows,
formats them as a table and decides whether they pass.

The score of a row is ``max|original - ours| / max(1, max|original|)``:
an absolute difference for outputs of magnitude up to 1 (logits), a relative
one for large outputs (boxes in pixels, feature maps), so that a single
tolerance (``DEFAULT_TOL = 1e-3``, float32) fits every output.
"""
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import torch
from torch import Tensor

#: Default tolerance of a row's score (float32 computations).
DEFAULT_TOL = 1e-3


@dataclass
class ParityRow:
    """One compared output.

    Args:
        stage (str): Stage or phase label, e.g. ``'stage 1'``.
        output (str): Output name, e.g. ``'mask_logits'``.
        abs_diff (float): ``max|original - ours|`` (``inf`` if the shapes
            differ).
        scale (float): ``max|original|``.
    """

    stage: str
    output: str
    abs_diff: float
    scale: float

    @property
    def score(self) -> float:
        """``abs_diff / max(1, scale)``."""
        return self.abs_diff / max(1.0, self.scale)


@dataclass
class ParityReport:
    """Rows of one comparison, problems found on the way, and the verdict.

    Args:
        title (str): What was compared (variant, configuration).
        tol (float): Largest allowed row score. Defaults to
            :data:`DEFAULT_TOL`.
        rows (list[ParityRow]): Compared outputs. Defaults to empty.
        errors (list[str]): Mismatches that are not numbers (kept query
            counts, missing outputs). Any error fails the report.
            Defaults to empty.
        notes (list[str]): Lines printed under the title. Defaults to empty.
    """

    title: str
    tol: float = DEFAULT_TOL
    rows: List[ParityRow] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    def add(self, stage: str, output: str, original: Tensor,
            ours: Tensor) -> ParityRow:
        """Compare two tensors and append the row (see
        :func:`max_difference`)."""
        abs_diff, scale = max_difference(original, ours)
        row = ParityRow(stage, output, abs_diff, scale)
        self.rows.append(row)
        return row

    @property
    def worst(self) -> Optional[ParityRow]:
        """The row with the largest score (None without rows)."""
        return max(self.rows, key=lambda r: r.score) if self.rows else None

    @property
    def passed(self) -> bool:
        """No error, at least one row, and every score ``<= tol``."""
        worst = self.worst
        return (not self.errors and worst is not None
                and worst.score <= self.tol)

    def format(self) -> str:
        """The report as text: one line per stage, ``output=abs/scale``.
        """
        lines = [f'== {self.title}'] + [f'   {n}' for n in self.notes]
        stages: Dict[str, List[ParityRow]] = {}
        for row in self.rows:
            stages.setdefault(row.stage, []).append(row)
        for stage, rows in stages.items():
            lines.append(f'   {stage:<24s} ' + '  '.join(
                f'{r.output}={r.abs_diff:.2e}/{r.scale:.3g}' for r in rows))
        lines += [f'   ERROR: {e}' for e in self.errors]
        worst = self.worst
        if worst is None:
            lines.append('   no outputs compared: FAILED')
        else:
            lines.append(
                f'   worst: {worst.stage} {worst.output} score '
                f'{worst.score:.3g} (abs {worst.abs_diff:.3g}, '
                f'max|original| {worst.scale:.3g}), tolerance {self.tol:g}: '
                + ('passed' if self.passed else 'FAILED'))
        return '\n'.join(lines)


def max_difference(original: Tensor, ours: Tensor) -> tuple:
    """``(max|original - ours|, max|original|)`` in float64.

    Args:
        original (Tensor): Output of the original implementation.
        ours (Tensor): The same output of the converted model.

    Returns:
        tuple[float, float]: The difference is ``inf`` if the shapes differ
        or a value is not finite on one side only; empty tensors give 0.
    """
    if tuple(original.shape) != tuple(ours.shape):
        return math.inf, _abs_max(original)
    if original.numel() == 0:
        return 0.0, 0.0
    a = original.detach().double().cpu()
    b = ours.detach().double().cpu()
    if not torch.equal(torch.isfinite(a), torch.isfinite(b)):
        return math.inf, _abs_max(original)
    finite = torch.isfinite(a)
    if not finite.any():
        return 0.0, 0.0
    return float((a - b)[finite].abs().max()), _abs_max(a[finite])


def _abs_max(t: Tensor) -> float:
    return float(t.detach().abs().max()) if t.numel() else 0.0


def compare_query_stages(report: ParityReport,
                         original: Sequence[Dict[str, Tensor]],
                         ours: Sequence[Dict[str, Tensor]],
                         class_counts: Sequence[int],
                         outputs: Sequence[str] = ('sem_logits',
                                                   'mask_logits', 'boxes',
                                                   'cls_logits'),
                         class_dims: Dict[str, int] = None) -> None:
    """Compare per-stage outputs of a query-based segmenter.

    Every stage dict holds ``padding_mask`` ``(B, Q)`` (True = padded
    query; a missing mask means no padding) and the ``outputs``: per-query
    tensors ``(B, Q, ...)`` compared over the kept queries of each image,
    except ``sem_logits`` ``(B, K, ...)`` whose first dimension after the
    batch is the class slot. Outputs listed in ``class_dims`` have a class
    dimension (``cls_logits``: dim 2) cut to the image's class count: slots
    beyond it are padding and differ freely.

    The kept query counts of each stage must agree (an error otherwise,
    since query selection then kept different queries); an output that is
    None on both sides is skipped, on one side an error.

    Args:
        report (ParityReport): Receives the rows and errors.
        original (Sequence[dict]): Stages of the original implementation.
        ours (Sequence[dict]): Stages of the converted model.
        class_counts (Sequence[int]): Class names per image.
        outputs (Sequence[str]): Keys to compare. Defaults to DocSAM's.
        class_dims (dict, optional): ``{key: class dimension}``.
            Defaults to ``{'cls_logits': 2}``.
    """
    class_dims = {'cls_logits': 2} if class_dims is None else class_dims
    if len(original) != len(ours):
        report.errors.append(f'{len(original)} stages in the original, '
                             f'{len(ours)} in docseg_mm')
    for idx, (o, m) in enumerate(zip(original, ours)):
        stage = f'stage {idx}'
        pad_o, pad_m = _padding(o), _padding(m)
        if pad_o is not None and pad_m is not None:
            kept_o = (~pad_o).sum(1).tolist()
            kept_m = (~pad_m).sum(1).tolist()
            stage += f' queries {kept_o}'
            if kept_o != kept_m:
                report.errors.append(f'stage {idx}: kept queries {kept_o} '
                                     f'(original) vs {kept_m} (docseg_mm)')
                continue
        for key in outputs:
            a, b = o.get(key), m.get(key)
            if a is None or b is None:
                if (a is None) != (b is None):
                    side = 'docseg_mm' if b is None else 'the original'
                    report.errors.append(f'stage {idx}: {key} missing in '
                                         f'{side}')
                continue
            parts_a, parts_b = [], []
            for i, count in enumerate(class_counts):
                if key == 'sem_logits':
                    ai, bi = a[i, :count], b[i, :count]
                else:
                    ai = a[i] if pad_o is None else a[i, ~pad_o[i]]
                    bi = b[i] if pad_m is None else b[i, ~pad_m[i]]
                    if key in class_dims:
                        dim = class_dims[key] - 1
                        ai = ai.narrow(dim, 0, min(count, ai.shape[dim]))
                        bi = bi.narrow(dim, 0, min(count, bi.shape[dim]))
                parts_a.append(ai.reshape(-1) if ai.shape == bi.shape
                               else ai)
                parts_b.append(bi.reshape(-1) if ai.shape == bi.shape
                               else bi)
            if any(x.shape != y.shape for x, y in zip(parts_a, parts_b)):
                report.rows.append(ParityRow(stage, key, math.inf, 0.0))
                continue
            report.add(stage, key, torch.cat(parts_a), torch.cat(parts_b))


def _padding(stage: Dict[str, Tensor]) -> Optional[Tensor]:
    pad = stage.get('padding_mask')
    return None if pad is None else pad.bool()


def exit_code(reports: Sequence[ParityReport]) -> int:
    """0 if every report passed, 1 otherwise (a tool's exit status)."""
    return 0 if reports and all(r.passed for r in reports) else 1
