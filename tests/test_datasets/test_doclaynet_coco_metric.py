# Copyright (c) docseg_mm contributors. All rights reserved.
"""CocoMetric on DocLayNet: filtered ground truth vs the raw json."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope


@pytest.fixture(scope='module')
def train_split(tmp_path_factory):
    from docseg_mm.demo_data import generate_demo_dataset
    root = str(tmp_path_factory.mktemp('doclaynet'))
    # 26 train pages hold redundant precedence != 0 duplicates (like DocLayNet).
    generate_demo_dataset(root, num_train=26, num_val=1, num_unlabeled=0,
                          num_per_page_type=0, seed=3, dpi=48,
                          words_per_page=0, write_pdf=False)
    return root


def evaluate_perfect_predictions(root: str, use_ann_file: bool) -> float:
    from mmdet.evaluation import CocoMetric

    from docseg_mm.datasets import DocLayNetDataset
    init_default_scope('docseg_mm')
    ds = DocLayNetDataset(data_root=root, ann_file='COCO/train.json',
                          test_mode=True, pipeline=[])
    assert ds.skipped.get('precedence', 0) > 0
    metric = CocoMetric(
        ann_file=osp.join(root, 'COCO/train.json') if use_ann_file else None,
        metric='bbox')
    metric.dataset_meta = ds.metainfo
    samples = []
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        inst = [x for x in info['instances'] if not x['ignore_flag']]
        boxes = torch.tensor([x['bbox'] for x in inst], dtype=torch.float32)
        samples.append(dict(
            img_id=info['img_id'], ori_shape=(info['height'], info['width']),
            instances=info['instances'],
            pred_instances=dict(
                bboxes=boxes, scores=torch.ones(len(inst)),
                labels=torch.tensor([x['bbox_label'] for x in inst]))))
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)['bbox_mAP']


def test_filtered_ground_truth_scores_perfect_predictions_one(train_split):
    assert evaluate_perfect_predictions(train_split, False) == 1.0


def test_raw_json_counts_redundant_duplicates_as_misses(train_split):
    # The raw file still holds the precedence != 0 copies, which no
    # prediction can match once its twin is taken.
    assert evaluate_perfect_predictions(train_split, True) < 1.0
