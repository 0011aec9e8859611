# Copyright (c) docseg_mm contributors. All rights reserved.
"""mmdet ``CocoMetric`` with a choice of COCO-eval backend."""
from typing import Dict
from unittest import mock

from mmdet.evaluation.metrics import coco_metric as mmdet_coco_metric

from docseg_mm.registry import METRICS
from ..functional.coco_eval_backend import (check_coco_eval_backend,
                                            get_coco_eval_class)


@METRICS.register_module()
class CocoMetric(mmdet_coco_metric.CocoMetric):
    """mmdet ``CocoMetric`` that can evaluate with faster-coco-eval.

    Everything is mmdet's ``CocoMetric`` (same arguments, keys and rounding);
    ``backend='faster_coco_eval'`` only swaps the ``COCOeval`` class that
    mmdet's ``compute_metrics`` instantiates for the C++ evaluator of the
    faster-coco-eval package, with pycocotools' ``summarize`` kept (see
    :mod:`docseg_mm.evaluation.functional.coco_eval_backend`): the numbers
    are pycocotools' (tested), in a fraction of the time on large sets.
    The swap is a module attribute patched for the duration of
    ``compute_metrics`` (evaluation runs on the main thread).

    In configs: ``dict(type='CocoMetric', backend='faster_coco_eval', ...)``
    in the docseg_mm scope (``mmdet.CocoMetric`` stays mmdet's own).

    Args:
        *args: mmdet ``CocoMetric`` arguments.
        backend (str): 'pycocotools' or 'faster_coco_eval'. Defaults to
            'pycocotools'.
        **kwargs: mmdet ``CocoMetric`` keyword arguments.
    """

    def __init__(self, *args, backend: str = 'pycocotools',
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.backend = check_coco_eval_backend(backend)
        if self.use_mp_eval and backend != 'pycocotools':
            raise ValueError('use_mp_eval needs the pycocotools backend')

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """mmdet's ``compute_metrics`` with the chosen evaluator class."""
        if self.backend == 'pycocotools':
            return super().compute_metrics(results)
        with mock.patch.object(mmdet_coco_metric, 'COCOeval',
                               get_coco_eval_class(self.backend)):
            return super().compute_metrics(results)
