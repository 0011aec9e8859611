# Copyright (c) docseg_mm contributors. All rights reserved.
"""COCO mAP reported at the largest ``maxDets`` (DocSAM's patched eval)."""
import contextlib
import io
import os.path as osp
import tempfile
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Union

import numpy as np
from mmdet.datasets.api_wrappers import COCO, COCOeval, COCOevalMP
from mmdet.evaluation.metrics import CocoMetric
from mmengine.fileio import load
from mmengine.logging import MMLogger
from terminaltables import AsciiTable

from docseg_mm.registry import METRICS
from ..functional.coco_eval_backend import (check_coco_eval_backend,
                                            get_coco_eval_class)

DEFAULT_ITEMS = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l')
_AREAS = dict(s='small', m='medium', l='large')


def _mean_valid(values: np.ndarray) -> float:
    """Mean of the entries > -1 (pycocotools' "undefined"), else -1."""
    values = values[values > -1]
    return float(np.mean(values)) if values.size else -1.0


def summarize_coco_eval(coco_eval: COCOeval,
                        max_det: Optional[int] = None) -> Dict[str, float]:
    """pycocotools' summary with every AP taken at ``max_det`` detections.

    Stock ``COCOeval.summarize`` reads ``mAP`` at ``maxDets=100`` (-1 when
    100 is not one of ``params.maxDets``) but AP50/AP75/APs/m/l at
    ``maxDets[2]``. Here all AP items use ``max_det`` and ``AR@n`` is given
    for every ``n`` in ``params.maxDets``.

    Args:
        coco_eval (COCOeval): Evaluator after ``evaluate()`` and
            ``accumulate()``.
        max_det (int, optional): Detections per image for AP and
            ``AR_{s,m,l}``. Defaults to None (``params.maxDets[-1]``).

    Returns:
        dict[str, float]: ``mAP``, ``mAP_50``, ``mAP_75``, ``mAP_s``,
        ``mAP_m``, ``mAP_l``, ``AR@{n}`` and ``AR_{s,m,l}@{max_det}``;
        -1 where undefined (e.g. no GT of that size).
    """
    params = coco_eval.params
    max_det = params.maxDets[-1] if max_det is None else max_det
    mind = list(params.maxDets).index(max_det)
    precision = coco_eval.eval['precision']  # (T, R, K, A, M)
    recall = coco_eval.eval['recall']  # (T, K, A, M)
    iou_thrs = np.asarray(params.iouThrs).reshape(-1)
    aind = params.areaRngLbl.index('all')

    stats = OrderedDict(mAP=_mean_valid(precision[:, :, :, aind, mind]))
    for name, thr in (('mAP_50', 0.5), ('mAP_75', 0.75)):
        tind = np.flatnonzero(np.isclose(iou_thrs, thr))
        stats[name] = _mean_valid(precision[tind][:, :, :, aind, mind])
    for short, area in _AREAS.items():
        stats[f'mAP_{short}'] = _mean_valid(
            precision[:, :, :, params.areaRngLbl.index(area), mind])
    for i, num in enumerate(params.maxDets):
        stats[f'AR@{num}'] = _mean_valid(recall[:, :, aind, i])
    for short, area in _AREAS.items():
        stats[f'AR_{short}@{max_det}'] = _mean_valid(
            recall[:, :, params.areaRngLbl.index(area), mind])
    return stats


@METRICS.register_module()
class DocCocoMetric(CocoMetric):
    """mmdet ``CocoMetric`` evaluated like DocSAM: ``maxDets=(40, 400,
    4000)`` with mAP, AP50, AP75 and APs/m/l all at ``max_dets[-1]``.

    mmdet's ``CocoMetric`` sets ``params.maxDets = proposal_nums`` but keeps
    pycocotools' ``stats[0]`` (mAP at 100 detections, -1 if 100 is not in
    the list). This metric runs ``COCOeval`` with ``params.maxDets =
    max_dets`` and summarises the accumulated precision itself
    (:func:`summarize_coco_eval`). Other differences from the parent:

    - without ``ann_file`` the GT converted from ``instances`` is rebuilt at
      every evaluation (the parent caches the first one);
    - no predictions give 0 AP (the parent logs an error and returns
      nothing);
    - values are not rounded to 3 decimals (tables are);
    - ``len(classes)`` must match the categories found by name.

    Args:
        ann_file (str, optional): COCO json; None builds GT from the
            samples' ``instances``. Defaults to None.
        metric (str | Sequence[str]): 'bbox' and/or 'segm'. Defaults to
            ('bbox', 'segm').
        max_dets (Sequence[int]): ``params.maxDets``, ascending; AP is
            reported at the last. Defaults to (40, 400, 4000).
        classwise (bool): Also report ``{metric}_AP_{class name}`` (all
            IoUs, all areas, ``max_dets[-1]``). Defaults to False.
        iou_thrs (float | Sequence[float], optional): IoU thresholds.
            Defaults to None (0.50:0.05:0.95).
        metric_items (Sequence[str], optional): Items to report among
            ``mAP, mAP_50, mAP_75, mAP_s, mAP_m, mAP_l, AR@{n},
            AR_{s,m,l}@{max_dets[-1]}``. Defaults to None (the six mAPs).
        format_only (bool): Only dump result files. Defaults to False.
        outfile_prefix (str, optional): Prefix of the dumped json files;
            None uses a temporary directory. Defaults to None.
        backend_args (dict, optional): File backend arguments. Defaults to
            None.
        collect_device (str): Device for collecting results across ranks.
            Defaults to 'cpu'.
        prefix (str, optional): Prefix of the metric names. Defaults to None
            ('coco').
        sort_categories (bool): See mmdet ``CocoMetric``. Defaults to False.
        use_mp_eval (bool): Use ``COCOevalMP`` (pycocotools backend only).
            Defaults to False.
        backend (str): COCO-eval implementation: 'pycocotools' or
            'faster_coco_eval' (the faster-coco-eval package's C++
            evaluate/accumulate; same numbers, several times faster on
            large sets). Defaults to 'pycocotools'.

    Metric keys: ``{metric}_{item}`` e.g. ``bbox_mAP``, ``segm_mAP_50``.
    """

    def __init__(self,
                 ann_file: Optional[str] = None,
                 metric: Union[str, Sequence[str]] = ('bbox', 'segm'),
                 max_dets: Sequence[int] = (40, 400, 4000),
                 classwise: bool = False,
                 iou_thrs: Optional[Union[float, Sequence[float]]] = None,
                 metric_items: Optional[Sequence[str]] = None,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 backend_args: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 sort_categories: bool = False,
                 use_mp_eval: bool = False,
                 backend: str = 'pycocotools') -> None:
        metrics = [metric] if isinstance(metric, str) else list(metric)
        for name in metrics:
            if name not in ('bbox', 'segm'):
                raise KeyError(f"metric should be 'bbox' or 'segm', got "
                               f'{name!r}')
        self.backend = check_coco_eval_backend(backend)
        if use_mp_eval and backend != 'pycocotools':
            raise ValueError('use_mp_eval needs the pycocotools backend')
        max_dets = [int(n) for n in max_dets]
        if not max_dets or sorted(max_dets) != max_dets:
            raise ValueError(f'max_dets must be ascending, got {max_dets}')
        super().__init__(
            ann_file=ann_file,
            metric=metrics,
            classwise=classwise,
            proposal_nums=max_dets,
            iou_thrs=iou_thrs,
            metric_items=metric_items,
            format_only=format_only,
            outfile_prefix=outfile_prefix,
            backend_args=backend_args,
            collect_device=collect_device,
            prefix=prefix,
            sort_categories=sort_categories,
            use_mp_eval=use_mp_eval)
        self.max_dets = max_dets
        self._gt_from_ann_file = ann_file is not None
        if metric_items is not None:
            allowed = set(DEFAULT_ITEMS) | {f'AR@{n}'
                                            for n in max_dets} | {
                                                f'AR_{s}@{max_dets[-1]}'
                                                for s in _AREAS
                                            }
            for item in metric_items:
                if item not in allowed:
                    raise KeyError(f'metric item "{item}" is not supported; '
                                   f'choose from {sorted(allowed)}')

    def _empty_results(self, coco_api: COCO) -> COCO:
        """A result COCO object without detections (``loadRes`` needs
        at least one)."""
        coco_dt = COCO()
        coco_dt.dataset = dict(
            images=list(coco_api.dataset['images']),
            categories=list(coco_api.dataset.get('categories', [])),
            annotations=[])
        with contextlib.redirect_stdout(io.StringIO()):
            coco_dt.createIndex()
        return coco_dt

    def _evaluate_one(self, coco_api: COCO, result_file: str,
                      metric: str) -> COCOeval:
        """Run ``evaluate`` and ``accumulate`` for 'bbox' or 'segm'."""
        predictions = load(result_file)
        if metric == 'segm':
            # mask area, not box area, drives the small/medium/large split
            for pred in predictions:
                pred.pop('bbox', None)
        with contextlib.redirect_stdout(io.StringIO()):
            coco_dt = coco_api.loadRes(predictions) if predictions else \
                self._empty_results(coco_api)
            evaluator = COCOevalMP if self.use_mp_eval else \
                get_coco_eval_class(self.backend)
            coco_eval = evaluator(coco_api, coco_dt, metric)
            coco_eval.params.catIds = self.cat_ids
            coco_eval.params.imgIds = self.img_ids
            coco_eval.params.maxDets = list(self.max_dets)
            coco_eval.params.iouThrs = np.asarray(
                self.iou_thrs, dtype=np.float64).reshape(-1)
            coco_eval.evaluate()
            coco_eval.accumulate()
        return coco_eval

    def _classwise(self, coco_api: COCO, coco_eval: COCOeval,
                   metric: str) -> Dict[str, float]:
        """Per-class AP at ``max_dets[-1]`` and a logged table."""
        precision = coco_eval.eval['precision']
        iou_thrs = np.asarray(coco_eval.params.iouThrs).reshape(-1)
        t50 = np.flatnonzero(np.isclose(iou_thrs, 0.5))
        t75 = np.flatnonzero(np.isclose(iou_thrs, 0.75))
        rows = [['category', 'AP', 'AP_50', 'AP_75']]
        out = {}
        for k, cat_id in enumerate(self.cat_ids):
            name = coco_api.loadCats(cat_id)[0]['name']
            ap = _mean_valid(precision[:, :, k, 0, -1])
            rows.append([
                name, f'{ap:.3f}',
                f'{_mean_valid(precision[t50][:, :, k, 0, -1]):.3f}',
                f'{_mean_valid(precision[t75][:, :, k, 0, -1]):.3f}'
            ])
            out[f'{metric}_AP_{name}'] = ap
        MMLogger.get_current_instance().info('\n' + AsciiTable(rows).table)
        return out

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute bbox/segm AP with ``maxDets = max_dets``.

        Args:
            results (list): ``(gt, prediction)`` pairs from ``process``.

        Returns:
            dict[str, float]: ``{metric}_{item}`` values (plus classwise AP).
        """
        logger = MMLogger.get_current_instance()
        gts, preds = zip(*results)
        tmp_dir = None
        if self.outfile_prefix is None:
            tmp_dir = tempfile.TemporaryDirectory()
            outfile_prefix = osp.join(tmp_dir.name, 'results')
        else:
            outfile_prefix = self.outfile_prefix
        try:
            if self._gt_from_ann_file:
                coco_api = self._coco_api
            else:
                # kept local: ``process`` stores the GT only while
                # ``self._coco_api`` is None, and GT may change between runs
                json_path = self.gt_to_coco_json(gts, outfile_prefix)
                with contextlib.redirect_stdout(io.StringIO()):
                    coco_api = COCO(json_path)
            classes = list(self.dataset_meta['classes'])
            self.cat_ids = coco_api.get_cat_ids(cat_names=classes)
            if len(self.cat_ids) != len(classes):
                raise ValueError(
                    f'{len(classes)} classes but {len(self.cat_ids)} '
                    'matching categories in the COCO ground truth; class '
                    'names must equal the category names.')
            self.img_ids = coco_api.get_img_ids()
            result_files = self.results2json(preds, outfile_prefix)
            eval_results: Dict[str, float] = OrderedDict()
            if self.format_only:
                logger.info(f'results are saved in '
                            f'{osp.dirname(outfile_prefix)}')
                return eval_results
            items = self.metric_items or DEFAULT_ITEMS
            for metric in self.metrics:
                if metric not in result_files:
                    raise KeyError(f'{metric} is not in results (segm needs '
                                   '`masks` in pred_instances)')
                coco_eval = self._evaluate_one(coco_api, result_files[metric],
                                               metric)
                stats = summarize_coco_eval(coco_eval, self.max_dets[-1])
                for item in items:
                    eval_results[f'{metric}_{item}'] = stats[item]
                if self.classwise:
                    eval_results.update(
                        self._classwise(coco_api, coco_eval, metric))
                logger.info(f'{metric} @maxDets={self.max_dets[-1]}: ' +
                            ' '.join(f'{k}={v:.3f}' for k, v in stats.items()))
        finally:
            if tmp_dir is not None:
                tmp_dir.cleanup()
        return eval_results
