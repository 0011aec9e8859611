# Copyright (c) docseg_mm contributors. All rights reserved.
"""CocoMetric / DocCocoMetric: backend='faster_coco_eval' gives the
pycocotools backend's numbers, end to end from data samples."""
import json

import pytest
from mmdet.evaluation.metrics import coco_metric as mmdet_coco_metric

from docseg_mm.evaluation.functional import get_coco_eval_class
from docseg_mm.evaluation.metrics import CocoMetric, DocCocoMetric
from docseg_mm.registry import METRICS
from docseg_mm.testing.synthetic_coco import (results_to_samples,
                                              synthetic_coco)

MMDET_ITEMS = [
    'mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', 'AR@100',
    'AR@300', 'AR@1000', 'AR_s@1000', 'AR_m@1000', 'AR_l@1000'
]
DOC_ITEMS = [
    'mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', 'AR@40', 'AR@400',
    'AR@4000', 'AR_s@4000', 'AR_m@4000', 'AR_l@4000'
]


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    gt, results = synthetic_coco(25, seed=7)
    path = tmp_path_factory.mktemp('coco') / 'val.json'
    path.write_text(json.dumps(gt))
    classes = tuple(c['name'] for c in gt['categories'])
    return str(path), classes, gt, results


def _evaluate(metric, dataset):
    _, classes, gt, results = dataset
    metric.dataset_meta = dict(classes=classes)
    metric.process({}, results_to_samples(gt, results))
    out = metric.compute_metrics(metric.results)
    metric.results.clear()
    return out


@pytest.fixture
def count_faster_evaluations(monkeypatch):
    cls = get_coco_eval_class('faster_coco_eval')
    calls = []
    original = cls.evaluate

    def evaluate(self):
        calls.append(self.params.iouType)
        return original(self)

    monkeypatch.setattr(cls, 'evaluate', evaluate)
    return calls


def test_coco_metric_backends_agree(dataset, count_faster_evaluations):
    ann_file = dataset[0]
    ref = _evaluate(
        CocoMetric(ann_file, metric=['bbox', 'segm'],
                   metric_items=MMDET_ITEMS), dataset)
    assert count_faster_evaluations == []
    fast = _evaluate(
        METRICS.build(
            dict(
                type='CocoMetric',
                ann_file=ann_file,
                metric=['bbox', 'segm'],
                metric_items=MMDET_ITEMS,
                backend='faster_coco_eval')), dataset)
    assert count_faster_evaluations == ['bbox', 'segm']
    assert len(ref) == 24 and ref == fast
    assert 0.2 < ref['segm_mAP_50'] < 0.95
    # mmdet's module is left as it was
    assert mmdet_coco_metric.COCOeval is get_coco_eval_class('pycocotools')


@pytest.mark.parametrize('from_ann_file', [True, False])
def test_doc_coco_metric_backends_agree(dataset, count_faster_evaluations,
                                        from_ann_file):
    ann_file = dataset[0] if from_ann_file else None
    kwargs = dict(ann_file=ann_file, metric_items=DOC_ITEMS, classwise=True)
    if not from_ann_file:
        # GT from the samples' instances (boxes, polygon masks)
        gt = dataset[2]
        anns = {im['id']: [] for im in gt['images']}
        for ann in gt['annotations']:
            x, y, w, h = ann['bbox']
            anns[ann['image_id']].append(
                dict(
                    bbox=[x, y, x + w, y + h],
                    bbox_label=ann['category_id'] - 1,
                    ignore_flag=ann['iscrowd'],
                    mask=ann['segmentation']))
        samples = results_to_samples(gt, dataset[3])
        for s in samples:
            s['instances'] = anns[s['img_id']]

        def evaluate(metric):
            metric.dataset_meta = dict(classes=dataset[1])
            metric.process({}, samples)
            return metric.compute_metrics(metric.results)
    else:

        def evaluate(metric):
            return _evaluate(metric, dataset)

    ref = evaluate(DocCocoMetric(**kwargs))
    fast = evaluate(DocCocoMetric(backend='faster_coco_eval', **kwargs))
    assert count_faster_evaluations == ['bbox', 'segm']
    assert len(ref) == 2 * (12 + len(dataset[1]))
    assert ref.keys() == fast.keys()
    for key, value in ref.items():
        assert fast[key] == pytest.approx(value, abs=1e-12), key
    assert 0.2 < ref['bbox_mAP'] < 0.9 and ref['segm_AR@40'] > 0.2


def test_backend_arguments():
    with pytest.raises(ValueError, match='backend must be one of'):
        CocoMetric(backend='fast')
    with pytest.raises(ValueError, match='backend must be one of'):
        DocCocoMetric(backend='fast')
    with pytest.raises(ValueError, match='use_mp_eval'):
        CocoMetric(backend='faster_coco_eval', use_mp_eval=True)
    with pytest.raises(ValueError, match='use_mp_eval'):
        DocCocoMetric(backend='faster_coco_eval', use_mp_eval=True)
