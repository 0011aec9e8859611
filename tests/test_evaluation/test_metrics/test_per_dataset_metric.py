# Copyright (c) docseg_mm contributors. All rights reserved.
"""PerDatasetMetric on two hand-built datasets with different classes."""
import pickle

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData, PixelData

import docseg_mm.evaluation.metrics.doc_coco_metric  # noqa: F401
import docseg_mm.evaluation.metrics.maf_metric  # noqa: F401
import docseg_mm.evaluation.metrics.multilabel_iou  # noqa: F401
from docseg_mm.evaluation.metrics.per_dataset_metric import PerDatasetMetric

A_NAMES = ('a0', 'a1', 'a2', 'A _background_')
B_NAMES = ('b0', 'b1', 'B _background_')
SUB_METRICS = [
    dict(type='DocCocoMetric', metric=['bbox', 'segm']),
    dict(type='MultiLabelIoUMetric'),
    dict(type='MeanF1Metric'),
]


def rect(box, h, w) -> np.ndarray:
    x1, y1, x2, y2 = box
    mask = np.zeros((h, w), dtype=bool)
    mask[y1:y2, x1:x2] = True
    return mask


def make_sample(dataset, names, img_id, size, gts, preds, sem):
    """gts: [(label, box)], preds: [(label, score, box)], sem: per-class
    lists of boxes whose union is the predicted class map."""
    h, w = size
    ds = DetDataSample(
        metainfo=dict(
            dataset_name=dataset,
            class_names=names,
            task='layout',
            img_id=img_id,
            ori_shape=size,
            instances=[
                dict(
                    bbox=list(map(float, b)),
                    bbox_label=lb,
                    ignore_flag=0,
                    mask=[[b[0], b[1], b[2], b[1], b[2], b[3], b[0], b[3]]])
                for lb, b in gts
            ]))
    pred = InstanceData()
    pred.bboxes = torch.tensor([b for _, _, b in preds],
                               dtype=torch.float32).reshape(-1, 4)
    pred.scores = torch.tensor([s for _, s, _ in preds])
    pred.labels = torch.tensor([lb for lb, _, _ in preds], dtype=torch.long)
    pred.masks = torch.from_numpy(
        np.stack([rect(b, h, w) for _, _, b in preds]))
    ds.pred_instances = pred
    maps = np.zeros((len(names) - 1, h, w), dtype=bool)
    for k, boxes in enumerate(sem):
        for b in boxes:
            maps[k] |= rect(b, h, w)
    ds.pred_sem_masks = PixelData(data=torch.from_numpy(maps))
    return ds.to_dict()


def dataset_a():
    # g0 exact; g1 found at IoU .72 (9x8 inside 10x10); no a2 at all.
    return [
        make_sample(
            'A',
            A_NAMES,
            0, (20, 20),
            gts=[(0, (0, 0, 10, 10)), (1, (10, 0, 20, 10))],
            preds=[(0, 0.9, (0, 0, 10, 10)), (1, 0.8, (10, 0, 19, 8))],
            sem=[[(0, 0, 10, 10)], [(10, 0, 20, 10), (0, 10, 5, 15)], []])
    ]


def dataset_b():
    img1 = make_sample(
        'B',
        B_NAMES,
        0, (10, 10),
        gts=[(0, (0, 0, 5, 10))],
        preds=[(0, 0.9, (0, 0, 5, 10)), (1, 0.3, (5, 0, 10, 10))],
        sem=[[(0, 0, 7, 10)], [(5, 0, 10, 10)]])  # x[5,7) in both maps
    img2 = make_sample(
        'B',
        B_NAMES,
        1, (10, 10),
        gts=[(0, (0, 0, 10, 5)), (1, (0, 5, 10, 10))],
        preds=[(1, 0.9, (0, 5, 10, 10))],
        sem=[[(0, 0, 10, 5)], [(0, 0, 10, 10)]])
    return [img1, img2]


# Independently computed (see the comments in the builders):
EXPECTED = {
    'A':
    dict(
        bbox_mAP=(1 + 0.5) / 2,  # a1: TP at the 5 thresholds <= .70
        segm_mAP=(1 + 0.5) / 2,
        mIoU=(100 / 100 + 100 / 125) / 2,  # a2 (empty) excluded
        mAF=(1 + 0.5) / 2),
    'B':
    dict(
        # b0: 2 GT, 1 exact det -> precision 1 up to recall .5: 51/101;
        # b1: TP (.9) ranked before the FP (.3) -> AP 1.
        bbox_mAP=(51 / 101 + 1) / 2,
        segm_mAP=(51 / 101 + 1) / 2,
        # b0: I 50+50, U 70+50; b1: I 0+50, U 50+100.
        mIoU=(100 / 120 + 50 / 150) / 2,
        # b0: TP 1, GT 2, Pred 1 -> 2/3; b1: low-score FP dropped -> 1.
        mAF=(2 / 3 + 1) / 2),
}


def run(samples, **kwargs):
    metric = PerDatasetMetric(SUB_METRICS, **kwargs)
    for s in samples:  # batches of one, datasets interleaved
        metric.process({}, [s])
    return metric, metric.evaluate(len(samples))


def test_per_dataset_values_and_means():
    a, (b1, b2) = dataset_a(), dataset_b()
    metric, res = run([b1, a[0], b2])
    for dataset, values in EXPECTED.items():
        for key, value in values.items():
            assert res[f'{dataset}/{key}'] == pytest.approx(value), \
                (dataset, key)
    for key in EXPECTED['A']:
        assert res[f'mean/{key}'] == pytest.approx(
            (EXPECTED['A'][key] + EXPECTED['B'][key]) / 2)
    for dataset in ('A', 'B', 'mean'):
        for key in ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'segm_mAP',
                    'segm_mAP_50', 'segm_mAP_75', 'mIoU', 'mAF', 'mAF_50',
                    'mAF_75'):
            assert f'{dataset}/{key}' in res
    # a COCO -1 (no small/medium object in one dataset) is not averaged
    assert res['A/bbox_mAP_m'] == -1.0
    assert res['mean/bbox_mAP_s'] == pytest.approx(
        np.mean([res['A/bbox_mAP_s'], res['B/bbox_mAP_s']]))
    assert 'mean/bbox_mAP_m' not in res
    # results were cleared; a second round is not polluted by the first
    assert metric.results == []
    _, again = run([a[0], b1, b2])
    assert again == pytest.approx(res)


def test_results_are_compact_and_picklable():
    metric = PerDatasetMetric(SUB_METRICS)
    metric.process({}, dataset_a() + dataset_b())
    assert len(metric.results) == 3  # one entry per sample
    assert [r['dataset'] for r in metric.results] == ['A', 'B', 'B']
    assert metric.results[0]['classes'] == A_NAMES[:-1]
    clone = pickle.loads(pickle.dumps(metric.results))
    # as if gathered from other ranks: a fresh metric computes the same
    res = PerDatasetMetric(SUB_METRICS).compute_metrics(clone)
    assert res['B/mAF'] == pytest.approx(EXPECTED['B']['mAF'])


def test_class_list_conflict_raises():
    a = dataset_a()[0]
    bad = dict(dataset_b()[0], class_names=('x', 'y', 'z', 'B _background_'))
    metric = PerDatasetMetric(SUB_METRICS)
    metric.process({}, [a, dataset_b()[0]])
    with pytest.raises(ValueError, match='"B"'):
        metric.process({}, [bad])
    # the same conflict coming from different ranks
    other = PerDatasetMetric(SUB_METRICS)
    other.process({}, [bad])
    with pytest.raises(ValueError, match='"B"'):
        metric.compute_metrics(metric.results + other.results)


def test_sub_metrics_get_dataset_classes_and_outfile(tmp_path):
    metric = PerDatasetMetric(
        [dict(type='DocCocoMetric', outfile_prefix=str(tmp_path / 'res'))],
        average=False)
    (sub, ) = metric.build_metrics('Doc Lay/Net', A_NAMES[:-1])
    assert sub.dataset_meta['classes'] == A_NAMES[:-1]
    assert sub.outfile_prefix == str(tmp_path / 'res') + '_Doc_Lay_Net'
    _, res = run(dataset_b(), average=False)
    assert not any(k.startswith('mean/') for k in res)


def test_missing_dataset_name_raises():
    s = dataset_a()[0]
    del s['dataset_name']
    with pytest.raises(KeyError, match='dataset_name'):
        PerDatasetMetric(SUB_METRICS).process({}, [s])
