# Copyright (c) docseg_mm contributors. All rights reserved.
"""The three AlignSeg evaluations on hand-built predictions with answers
worked out by hand (see the comments)."""
import math

import numpy as np
import pytest
import torch

from docseg_mm.evaluation import (KMeansClusterMetric, MatchedClusterIoUMetric,
                                  PerImageClusterIoUMetric)
from docseg_mm.evaluation.functional import (confusion, hungarian_mapping,
                                             mapped_iou, many_to_one_mapping,
                                             per_image_miou)


def sample(gt, pred, emb=None):
    s = dict(gt_sem_seg=dict(data=torch.as_tensor(gt)[None]),
             pred_sem_seg=dict(data=torch.as_tensor(pred)[None]))
    if emb is not None:
        s['seg_embeddings'] = dict(data=torch.as_tensor(emb))
    return s


def run(metric, samples, classes):
    metric.dataset_meta = dict(classes=classes)
    metric.process({}, samples)
    return metric.evaluate(len(samples))


# Two 2x4 images, classes {0: bg, 1: cat}, clusters {0, 1}. The clusters
# swap meaning between the images:
#   image A: gt  0 0 1 1 / 0 0 1 1    pred 0 0 1 1 / 0 0 1 1
#   image B: gt  0 0 1 1 / 0 0 1 1    pred 1 1 0 0 / 1 1 0 0
GT = np.array([[0, 0, 1, 1], [0, 0, 1, 1]])
PRED_A = GT.copy()
PRED_B = 1 - GT


def test_per_image_and_hungarian_disagree():
    # Per image: each image is matched on its own -> both perfect: 100.
    res = run(PerImageClusterIoUMetric(eval_size=None, prefix=None),
              [sample(GT, PRED_A), sample(GT, PRED_B)], ('bg', 'cat'))
    assert res['mIoU'] == pytest.approx(100.)
    # Hungarian over the set: conf = [[4, 4], [4, 4]]; either one-to-one
    # matching gets 4 of 8 pixels per class right: IoU = 4 / (8 + 8 - 4)
    # = 1/3 for both classes.
    res = run(MatchedClusterIoUMetric(num_clusters=2, eval_size=None,
                                      prefix=None),
              [sample(GT, PRED_A), sample(GT, PRED_B)], ('bg', 'cat'))
    assert res['mIoU'] == pytest.approx(100 / 3)
    assert res['IoU.cat'] == pytest.approx(100 / 3)


def test_per_image_many_to_one_precision_by_hand():
    # gt  0 0 0 0 / 1 1 2 2 ; pred 0 0 1 1 / 1 1 2 2   (ignore: none)
    # precision: cluster 0 -> {0: 1} -> class 0; cluster 1 -> {0: 2/4,
    # 1: 2/4} tie -> lowest class 0; cluster 2 -> class 2.
    # class 0: tp 4, pred 6, gt 4 -> 4/6; class 1: 0; class 2: 1.
    gt = np.array([[0, 0, 0, 0], [1, 1, 2, 2]])
    pred = np.array([[0, 0, 1, 1], [1, 1, 2, 2]])
    miou, excl = per_image_miou(gt.ravel(), pred.ravel())
    assert miou == pytest.approx((4 / 6 + 0 + 1) / 3)
    assert excl == pytest.approx((0 + 1) / 2)
    # Two clusters may share a class: the IoU of class 0 becomes 1 if
    # cluster 1 covered only class 0.
    pred2 = np.array([[0, 0, 1, 1], [3, 3, 2, 2]])
    assert per_image_miou(gt.ravel(), pred2.ravel())[0] == pytest.approx(1.)
    # Ignored pixels (255) are dropped, absent classes do not count; the
    # mean over images is reported.
    gt_ign = gt.copy()
    gt_ign[1] = 255
    res = run(PerImageClusterIoUMetric(eval_size=None, prefix=None),
              [sample(gt, pred), sample(gt_ign, pred)], ('a', 'b', 'c'))
    # image 2: only class 0 valid; clusters 0 and 1 both go to class 0.
    assert res['mIoU'] == pytest.approx(100 * ((4 / 6 + 1) / 3 + 1) / 2)


def test_eval_size_resizes_both_maps_nearest():
    # 4x4 gt/pred resized to 2x2 by nearest keep the top-left pixel of each
    # 2x2 block: gt [[0, 1], [1, 1]], pred [[0, 0], [1, 1]].
    gt = np.array([[0, 0, 1, 1], [0, 9, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]])
    gt[gt == 9] = 255
    pred = np.array([[0, 1, 0, 1], [1, 1, 1, 1], [1, 0, 1, 0], [0, 0, 0,
                                                                 0]])
    res = run(PerImageClusterIoUMetric(eval_size=2, prefix=None),
              [sample(gt, pred)], ('a', 'b'))
    # cluster 0 -> {0: 1/2, 1: 1/2} -> class 0; cluster 1 -> class 1
    # class 0: tp 1 / (1 + 2 - 1) = 1/2; class 1: tp 2 / (3 + 2 - 2) = 2/3
    assert res['mIoU'] == pytest.approx(100 * (1 / 2 + 2 / 3) / 2)


def test_hungarian_with_more_clusters_than_classes():
    # conf (classes x clusters) = [[5, 0, 1], [0, 4, 2]]: cluster 0 -> 0,
    # cluster 1 -> 1, cluster 2 unmatched -> background (class 0).
    conf = np.array([[5, 0, 1], [0, 4, 2]])
    mapping = hungarian_mapping(conf)
    assert mapping.tolist() == [0, 1, 0]
    iou = mapped_iou(conf, mapping)
    # class 0: tp 5 + 1, gt 6, pred (5 + 0) + (1 + 2) = 8 -> 6 / 8;
    # class 1: tp 4, gt 6, pred 4 -> 4 / 6
    np.testing.assert_allclose(iou, [6 / 8, 4 / 6])
    iou_none = mapped_iou(conf, hungarian_mapping(conf, unmatched_to=None))
    np.testing.assert_allclose(iou_none, [5 / 6, 4 / 6])
    # many-to-one by IoU: cluster 2 -> IoU with 0: 1/(6+3-1), with 1:
    # 2/(6+3-2) -> class 1
    assert many_to_one_mapping(conf).tolist() == [0, 1, 1]


def test_confusion_counts_and_checks_ranges():
    conf = confusion(np.array([0, 1, 1]), np.array([2, 2, 0]), 2, 3)
    assert conf.tolist() == [[0, 0, 1], [1, 0, 1]]
    with pytest.raises(ValueError):
        confusion(np.array([2]), np.array([0]), 2, 3)


def test_kmeans_protocol_on_separable_embeddings():
    # Embeddings = one-hot of the ground-truth class (+ noise): k-means with
    # k = #classes recovers the classes (Hungarian mIoU 100); with k larger
    # every cluster is pure (many-to-one 100); per image 100 as well.
    rng = np.random.default_rng(0)
    classes = ('a', 'b', 'c')
    samples = []
    for _ in range(4):
        gt = rng.integers(0, 3, (6, 6))
        gt[0, 0] = 255
        emb = np.eye(3, dtype=np.float32)[np.where(gt == 255, 0, gt)]
        emb = emb.transpose(2, 0, 1) * 5 + rng.normal(0, 0.05, (3, 6, 6))
        samples.append(sample(gt, np.zeros_like(gt), emb.astype(np.float32)))
    metric = KMeansClusterMetric(num_clusters=[3, 6], eval_size=None,
                                 pca_dim=50, protocols=None, prefix=None)
    res = run(metric, samples, classes)
    assert res['num_vectors'] == 4 * 35
    assert res['k3_hungarian'] == pytest.approx(100.)
    assert res['k6_many_to_one'] == pytest.approx(100.)
    assert res['k6_many_to_one_precision'] == pytest.approx(100.)
    metric = KMeansClusterMetric(num_clusters=[3], eval_size=None,
                                 protocols=['per_image', 'many_to_one'],
                                 prefix=None)
    res = run(metric, samples, classes)
    assert res['k3_per_image'] == pytest.approx(100.)
    assert res['k3_many_to_one'] == pytest.approx(100.)


def test_kmeans_upsamples_embeddings_bilinearly_to_eval_size():
    # A 1x2 embedding grid (left class 0, right class 1) upsampled to 4x4:
    # bilinear (align_corners=False) keeps columns 0-1 nearer the left
    # vector, so k = 2 separates them exactly as the 4x4 ground truth.
    gt = np.array([[0, 0, 1, 1]] * 4)
    emb = np.array([[[0., 10.]], [[10., 0.]]], np.float32)  # (2, 1, 2)
    metric = KMeansClusterMetric(num_clusters=[2], eval_size=4, prefix=None)
    res = run(metric, [sample(gt, gt, emb)], ('l', 'r'))
    assert res['num_vectors'] == 16
    assert res['k2_hungarian'] == pytest.approx(100.)
    assert not math.isnan(res['seconds'])


def test_kmeans_needs_embeddings():
    metric = KMeansClusterMetric(num_clusters=[2], eval_size=None)
    metric.dataset_meta = dict(classes=('a', 'b'))
    with pytest.raises(KeyError, match='test_cfg.embeddings'):
        metric.process({}, [sample(GT, GT)])
