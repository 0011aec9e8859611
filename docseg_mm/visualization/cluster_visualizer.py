# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Optional

import mmcv
import numpy as np
from mmseg.visualization import SegLocalVisualizer

from docseg_mm.registry import VISUALIZERS


@VISUALIZERS.register_module()
class ClusterSegLocalVisualizer(SegLocalVisualizer):
    """mmseg's visualizer for unsupervised cluster predictions.

    The ground truth is drawn with the dataset's classes and palette, the
    prediction (cluster ids, not classes) with ``cluster 0 .. K-1`` names
    and its own palette, side by side as mmseg does.

    Args:
        name (str): Instance name. Defaults to ``'visualizer'``.
        num_clusters (int): Number of clusters. Defaults to 5.
        cluster_palette (list, optional): ``K`` RGB colours. Defaults to a
            fixed random palette.
        **kwargs: :class:`mmseg.visualization.SegLocalVisualizer` arguments.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 num_clusters: int = 5,
                 cluster_palette: Optional[list] = None,
                 **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        if cluster_palette is None:
            rng = np.random.RandomState(7)
            cluster_palette = rng.randint(0, 255, (num_clusters, 3)).tolist()
        if len(cluster_palette) != num_clusters:
            raise ValueError('cluster_palette needs num_clusters colours')
        self.cluster_classes = [f'cluster {i}' for i in range(num_clusters)]
        self.cluster_palette = cluster_palette

    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample=None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0,
                       with_labels: Optional[bool] = True) -> None:
        """Draw the ground truth (classes) next to the clusters."""
        panels = []
        if draw_gt and data_sample is not None and 'gt_sem_seg' in data_sample:
            panels.append(self._draw_sem_seg(
                image, data_sample.gt_sem_seg, self.dataset_meta['classes'],
                self.dataset_meta['palette'], with_labels))
        if draw_pred and data_sample is not None and \
                'pred_sem_seg' in data_sample:
            panels.append(self._draw_sem_seg(
                image, data_sample.pred_sem_seg, self.cluster_classes,
                self.cluster_palette, with_labels))
        drawn = np.concatenate(panels, axis=1) if panels else image
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(mmcv.rgb2bgr(drawn), out_file)
        else:
            self.add_image(name, drawn, step)

    def _get_center_loc(self, mask: np.ndarray) -> np.ndarray:
        """Label position of a class mask, as mmseg's, without its sort.

        mmseg sorts the ``np.argwhere`` coordinates in Python (about 4 s a
        page-sized panel, most of ``--show-dir``'s time), although
        ``np.argwhere`` already returns them row-major. The result is the
        same: the middle pixel of the first row with the most mask pixels.

        Args:
            mask (np.ndarray): ``(H, W)`` mask, 1 inside.

        Returns:
            np.ndarray: ``[x, y]``.
        """
        inside = mask == 1
        y = int(inside.sum(axis=1).argmax())
        xs = np.flatnonzero(inside[y])
        return np.array([xs[len(xs) // 2], y])
