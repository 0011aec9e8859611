# Copyright (c) docseg_mm contributors. All rights reserved.
import numpy as np
from mmseg.visualization import SegLocalVisualizer

from docseg_mm.visualization import ClusterSegLocalVisualizer


def test_center_loc_equals_mmseg():
    """The fast label position equals mmseg's sorted original."""
    fast = ClusterSegLocalVisualizer(name='fast_center', num_clusters=2)
    orig = SegLocalVisualizer._get_center_loc
    rng = np.random.RandomState(0)
    masks = [rng.rand(17, 23) < p for p in (0.05, 0.3, 0.9)]
    tie = np.zeros((6, 9), np.uint8)
    tie[1, 2:5] = 1  # rows 1 and 4 tie (3 pixels): the first one wins
    tie[4, 6:9] = 1
    tie[3, 0] = 1
    masks.append(tie)
    for mask in masks:
        mask = mask.astype(np.uint8)
        assert fast._get_center_loc(mask).tolist() == \
            orig(None, mask).tolist()
    assert fast._get_center_loc(tie).tolist() == [3, 1]
