# Copyright (c) docseg_mm contributors. All rights reserved.
import re
from collections import OrderedDict, defaultdict
from typing import Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from rapidfuzz.distance import Levenshtein
from terminaltables import AsciiTable

from docseg_mm.registry import METRICS

_NOT_ALNUM = re.compile(r'[^0-9A-Za-z]')


def normalize_ignore_case_symbol(text: str) -> str:
    """The benchmark convention: keep ``[0-9A-Za-z]``, lower-case."""
    return _NOT_ALNUM.sub('', text).lower()


@METRICS.register_module()
class TextRecogMetric(BaseMetric):
    """Word accuracy and 1-NED of text recognition, per set and averaged.

    Metric names follow mmocr's ``WordMetric`` and ``OneMinusNEDMetric``:

    - ``word_acc``: exact, case-sensitive match;
    - ``word_acc_ignore_case``: lower-cased match;
    - ``word_acc_ignore_case_symbol``: match after keeping only
      ``[0-9A-Za-z]`` and lower-casing (the benchmark convention, DiG's
      accuracy);
    - ``1-N.E.D``: mean of ``1 - edit distance / max(len)`` on the
      normalised strings of ``ned_mode``.

    Samples are grouped by ``dataset_key`` of their metainfo; each set gets
    ``{set}/{name}``, and with more than one set ``mean/{name}`` (average
    over sets, as the paper's "average") and ``all/{name}`` (over all
    samples) are added. A table of the sets is logged.

    Args:
        mode (Sequence[str]): Word accuracies to report. Defaults to all
            three.
        ned_mode (str): 'exact', 'ignore_case' or 'ignore_case_symbol'.
            Defaults to 'ignore_case_symbol'.
        dataset_key (str): Metainfo key of the set name. Defaults to
            'dataset_name'.
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to 'recog'.
    """
    default_prefix: Optional[str] = 'recog'
    MODES = ('exact', 'ignore_case', 'ignore_case_symbol')

    def __init__(self,
                 mode: Sequence[str] = MODES,
                 ned_mode: str = 'ignore_case_symbol',
                 dataset_key: str = 'dataset_name',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        mode = [mode] if isinstance(mode, str) else list(mode)
        for m in mode + [ned_mode]:
            if m not in self.MODES:
                raise ValueError(f'unknown mode {m!r}, use {self.MODES}')
        self.mode, self.ned_mode, self.dataset_key = mode, ned_mode, \
            dataset_key

    @staticmethod
    def normalize(text: str, mode: str) -> str:
        if mode == 'exact':
            return text
        if mode == 'ignore_case':
            return text.lower()
        return normalize_ignore_case_symbol(text)

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            get = sample.get if isinstance(sample, dict) else \
                lambda k, d=None, s=sample: getattr(s, k, d)
            pred, gt = get('pred_text'), get('gt_text')
            pred = pred['item'] if isinstance(pred, dict) else pred.item
            gt = gt['item'] if isinstance(gt, dict) else gt.item
            name = get(self.dataset_key, None) or 'test'
            self.results.append((name, pred, gt))

    def _scores(self, rows: List[tuple]) -> Dict[str, float]:
        out = OrderedDict()
        names = dict(exact='word_acc', ignore_case='word_acc_ignore_case',
                     ignore_case_symbol='word_acc_ignore_case_symbol')
        for m in self.mode:
            hits = sum(self.normalize(p, m) == self.normalize(g, m)
                       for _, p, g in rows)
            out[names[m]] = hits / len(rows)
        ned = 0.
        for _, p, g in rows:
            p, g = self.normalize(p, self.ned_mode), self.normalize(
                g, self.ned_mode)
            ned += Levenshtein.normalized_distance(p, g)
        out['1-N.E.D'] = 1. - ned / len(rows)
        return out

    def compute_metrics(self, results: list) -> Dict[str, float]:
        groups = defaultdict(list)
        for row in results:
            groups[row[0]].append(row)
        metrics: Dict[str, float] = OrderedDict()
        per_set = {name: self._scores(rows) for name, rows in groups.items()}
        if len(per_set) == 1:
            return next(iter(per_set.values()))
        for name, scores in per_set.items():
            for k, v in scores.items():
                metrics[f'{name}/{k}'] = v
        keys = list(next(iter(per_set.values())))
        for k in keys:
            metrics[f'mean/{k}'] = sum(s[k] for s in per_set.values()) / len(
                per_set)
        for k, v in self._scores(results).items():
            metrics[f'all/{k}'] = v
        table = [['set', 'samples'] + keys]
        for name, scores in per_set.items():
            table.append([name, len(groups[name])] +
                         [f'{100 * scores[k]:.2f}' for k in keys])
        table.append(['mean', len(results)] +
                     [f'{100 * metrics["mean/" + k]:.2f}' for k in keys])
        MMLogger.get_current_instance().info(
            '\n' + AsciiTable(table).table)
        return metrics
