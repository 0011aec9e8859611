# Copyright (c) docseg_mm contributors. All rights reserved.
import cv2
import mmcv
import numpy as np
import pytest

import docseg_mm  # noqa: F401  (installs the patch)
from docseg_mm.utils.numpy_compat import adjust_hue


@pytest.mark.parametrize('factor', [-0.1, 0.1, -0.5, 0.0])
def test_hue_rotation_wraps_modulo_256(factor):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    out = adjust_hue(img, factor)
    h_in = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL)[..., 0].astype(int)
    h_out = cv2.cvtColor(out, cv2.COLOR_BGR2HSV_FULL)[..., 0].astype(int)
    expected = (h_in + round(factor * 255)) % 256
    # HSV round trips of uint8 images move hue by a few steps at most.
    diff = np.minimum(abs(h_out - expected), 256 - abs(h_out - expected))
    assert np.median(diff) <= 2


def test_mmcv_and_mmpretrain_colorjitter_use_the_patch():
    assert mmcv.adjust_hue is adjust_hue
    from mmpretrain.datasets.transforms import ColorJitter
    t = ColorJitter(hue=0.5)
    img = np.random.default_rng(1).integers(0, 256, (8, 8, 3), np.uint8)
    for _ in range(20):  # negative hue factors used to raise OverflowError
        t(dict(img=img.copy()))
