# Copyright (c) docseg_mm contributors. All rights reserved.
"""Evaluate mixed-dataset predictions separately per dataset/class set."""
import copy
import math
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from terminaltables import AsciiTable

from docseg_mm.registry import METRICS

#: DocSAM's result-table columns (AP50, AP75, mAP, mAP_b, mAF, mIoU).
DEFAULT_TABLE_KEYS = ('segm_mAP_50', 'segm_mAP_75', 'segm_mAP', 'bbox_mAP',
                      'mAF', 'mIoU')


def _is_reported(value) -> bool:
    """A number that counts for the mean: finite and not COCO's -1."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(value) and value >= 0


@METRICS.register_module()
class PerDatasetMetric(BaseMetric):
    """Run sub-metrics separately on each dataset of a mixed evaluation.

    Samples are grouped by ``sample[dataset_key]``. Each dataset gets its own
    sub-metric instances with ``dataset_meta = dict(classes=
    class_names[:-1])`` (``class_names`` ends with the background prompt),
    taken from its first sample; a later sample of the same dataset with
    another class list raises ``ValueError``.

    ``process`` runs the dataset's sub-metrics on each sample (so masks are
    reduced to what they keep, e.g. RLEs or pixel counts) and stores ONE
    entry per sample in ``self.results``, tagged with the dataset name and
    class list. mmengine's ``collect_results`` therefore gathers (and trims
    the padding of) these entries in distributed evaluation, and
    ``compute_metrics`` (main process) feeds them to FRESH sub-metrics per
    dataset, so nothing is cached between evaluations. Sub-metric
    ``outfile_prefix`` values get ``_{dataset name}`` appended.

    Args:
        dataset_metrics (Sequence[dict]): Sub-metric configs, e.g.
            ``[dict(type='DocCocoMetric'), dict(type='MultiLabelIoUMetric'),
            dict(type='MeanF1Metric')]``. (Not called ``metrics``: mmengine
            would take a dict with a ``metrics`` key for an evaluator.)
        dataset_key (str): Sample key of the dataset name. Defaults to
            'dataset_name'.
        classes_key (str): Sample key of the class names (background prompt
            last). Defaults to 'class_names'.
        average (bool): Also report ``mean/{key}`` = arithmetic mean over
            the datasets reporting ``key`` (NaN and COCO's -1 are treated as
            not reported). Defaults to True.
        table_keys (Sequence[str], optional): Columns of the logged summary
            table (those no dataset reports are dropped; if none is left,
            every key is shown). None shows every key. Defaults to
            ``DEFAULT_TABLE_KEYS`` (DocSAM's columns).
        collect_device (str): Device for collecting results across ranks.
            Defaults to 'cpu'.
        prefix (str, optional): Prefix of the metric names. Defaults to None.

    Metric keys: ``{dataset}/{key}`` for every dataset and sub-metric key,
    and ``mean/{key}`` if ``average``.
    """
    default_prefix: Optional[str] = None

    def __init__(self,
                 dataset_metrics: Sequence[dict],
                 dataset_key: str = 'dataset_name',
                 classes_key: str = 'class_names',
                 average: bool = True,
                 table_keys: Optional[Sequence[str]] = DEFAULT_TABLE_KEYS,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if isinstance(dataset_metrics, dict):
            dataset_metrics = [dataset_metrics]
        if not dataset_metrics:
            raise ValueError('PerDatasetMetric needs at least one metric.')
        self.metric_cfgs = [
            copy.deepcopy(dict(cfg)) for cfg in dataset_metrics
        ]
        self.dataset_key = dataset_key
        self.classes_key = classes_key
        self.average = average
        self.table_keys = None if table_keys is None else list(table_keys)
        # dataset -> sub-metrics used by ``process`` (conversion only)
        self._process_metrics: Dict[str, List[BaseMetric]] = {}
        self._classes: Dict[str, Tuple[str, ...]] = {}

    @staticmethod
    def _check_classes(known: Dict[str, Tuple[str, ...]], dataset: str,
                       classes: Tuple[str, ...]) -> None:
        """Record ``dataset``'s classes or raise if they changed."""
        if known.setdefault(dataset, classes) != classes:
            raise ValueError(
                f'Dataset "{dataset}" has samples with different class '
                f'lists: {list(known[dataset])} vs {list(classes)}.')

    def build_metrics(self, dataset: str,
                      classes: Sequence[str]) -> List[BaseMetric]:
        """Build fresh sub-metrics for one dataset.

        Args:
            dataset (str): Dataset name.
            classes (Sequence[str]): Its class names without background.

        Returns:
            list[BaseMetric]: One instance per sub-metric config.
        """
        built = []
        for cfg in self.metric_cfgs:
            cfg = copy.deepcopy(cfg)
            if cfg.get('outfile_prefix'):
                safe = re.sub(r'[^\w.-]+', '_', dataset)
                cfg['outfile_prefix'] = f"{cfg['outfile_prefix']}_{safe}"
            # only used by ``evaluate``, which is never called on them; set
            # to silence mmengine's "prefix is not set" warning
            cfg.setdefault('prefix', dataset)
            metric = METRICS.build(cfg)
            metric.dataset_meta = dict(classes=tuple(classes))
            built.append(metric)
        return built

    def _sample_key(self, sample: dict) -> Tuple[str, Tuple[str, ...]]:
        """Dataset name and class names (background dropped) of a sample."""
        for key in (self.dataset_key, self.classes_key):
            if key not in sample:
                raise KeyError(f'PerDatasetMetric needs "{key}" in the data '
                               'samples (add it to the meta keys).')
        return str(sample[self.dataset_key]), tuple(
            sample[self.classes_key])[:-1]

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Route each sample to its dataset's sub-metrics.

        Args:
            data_batch (dict): Passed on to the sub-metrics.
            data_samples (Sequence[dict]): Samples from ``to_dict()``.
        """
        for sample in data_samples:
            dataset, classes = self._sample_key(sample)
            self._check_classes(self._classes, dataset, classes)
            if dataset not in self._process_metrics:
                self._process_metrics[dataset] = self.build_metrics(
                    dataset, classes)
            entries = []
            for metric in self._process_metrics[dataset]:
                start = len(metric.results)
                metric.process(data_batch, [sample])
                entries.append(metric.results[start:])
                del metric.results[start:]
            self.results.append(
                dict(dataset=dataset, classes=classes, results=entries))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute every sub-metric per dataset, then the means.

        Args:
            results (list): Tagged per-sample entries from ``process``.

        Returns:
            dict[str, float]: ``{dataset}/{key}`` and ``mean/{key}``.
        """
        classes: Dict[str, Tuple[str, ...]] = {}
        groups: Dict[str, List[list]] = OrderedDict()
        counts: Dict[str, int] = {}
        for entry in results:
            dataset = entry['dataset']
            self._check_classes(classes, dataset, tuple(entry['classes']))
            per_metric = groups.setdefault(dataset,
                                           [[] for _ in self.metric_cfgs])
            counts[dataset] = counts.get(dataset, 0) + 1
            for store, part in zip(per_metric, entry['results']):
                store.extend(part)
        if self.average and 'mean' in groups:
            raise ValueError('A dataset named "mean" clashes with the '
                             'average keys; set average=False.')

        logger = MMLogger.get_current_instance()
        per_dataset: Dict[str, Dict[str, float]] = OrderedDict()
        for dataset, per_metric in groups.items():
            logger.info(f'Evaluating dataset "{dataset}" ({counts[dataset]} '
                        f'images, {len(classes[dataset])} classes)')
            values: Dict[str, float] = OrderedDict()
            for metric, sub_results in zip(
                    self.build_metrics(dataset, classes[dataset]), per_metric):
                for key, value in metric.compute_metrics(sub_results).items():
                    if key in values:
                        raise KeyError(f'Sub-metrics of PerDatasetMetric both '
                                       f'report "{key}"; give them prefixes.')
                    values[key] = value
            per_dataset[dataset] = values

        out: Dict[str, float] = OrderedDict()
        for dataset, values in per_dataset.items():
            for key, value in values.items():
                out[f'{dataset}/{key}'] = value
        means: Dict[str, float] = OrderedDict()
        if self.average:
            keys = list(
                OrderedDict.fromkeys(k for values in per_dataset.values()
                                     for k in values))
            for key in keys:
                vals = [
                    float(v[key]) for v in per_dataset.values()
                    if key in v and _is_reported(v[key])
                ]
                if vals:
                    means[key] = sum(vals) / len(vals)
                    out[f'mean/{key}'] = means[key]
        self._log_table(per_dataset, counts, classes, means)
        return out

    def _log_table(self, per_dataset: Dict[str, Dict[str, float]],
                   counts: Dict[str, int], classes: Dict[str, Tuple[str, ...]],
                   means: Dict[str, float]) -> None:
        """Log one row per dataset (and the mean) with MMLogger."""
        keys = list(
            OrderedDict.fromkeys(k for values in per_dataset.values()
                                 for k in values))
        if self.table_keys is not None:
            keys = [k for k in self.table_keys if k in keys] or keys

        def fmt(value) -> str:
            return f'{float(value):.4f}' if value is not None else '-'

        rows = [['dataset', '#img', '#cls'] + keys]
        for dataset, values in per_dataset.items():
            rows.append(
                [dataset,
                 str(counts[dataset]),
                 str(len(classes[dataset]))] +
                [fmt(values.get(k)) for k in keys])
        if self.average:
            rows.append(['mean', str(sum(counts.values())), '-'] +
                        [fmt(means.get(k)) for k in keys])
        MMLogger.get_current_instance().info('Per-dataset metrics:\n' +
                                             AsciiTable(rows).table)
