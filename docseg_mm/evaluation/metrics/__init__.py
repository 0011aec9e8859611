# Copyright (c) docseg_mm contributors. All rights reserved.
from .cluster_iou import (MatchedClusterIoUMetric, PerImageClusterIoUMetric,
                          matched_iou)
from .coco_metric import CocoMetric
from .doc_coco_metric import DocCocoMetric, summarize_coco_eval
from .kmeans_cluster import KMeansClusterMetric
from .maf_metric import MeanF1Metric, mean_f1_over_iou
from .multilabel_iou import MultiLabelIoUMetric
from .per_dataset_metric import PerDatasetMetric
from .text_recog_metric import (TextRecogMetric,
                                normalize_ignore_case_symbol)

__all__ = [
    'MatchedClusterIoUMetric', 'PerImageClusterIoUMetric', 'matched_iou',
    'KMeansClusterMetric',
    'CocoMetric', 'DocCocoMetric', 'summarize_coco_eval', 'MeanF1Metric',
    'mean_f1_over_iou', 'MultiLabelIoUMetric', 'PerDatasetMetric',
    'TextRecogMetric', 'normalize_ignore_case_symbol'
]
