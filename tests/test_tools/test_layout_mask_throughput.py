# Copyright (c) docseg_mm contributors. All rights reserved.
"""``tools/analysis_tools/layout_mask_throughput.py`` on one page."""
import os.path as osp
import re
import sys

import cv2

from ..test_datasets.test_transforms.test_layout_mask import make_page
from .conftest import REPO, run_tool


def test_throughput(tmp_path):
    cv2.imwrite(str(tmp_path / 'page.png'), make_page())
    out = run_tool([
        sys.executable,
        osp.join(REPO, 'tools', 'analysis_tools',
                 'layout_mask_throughput.py'),
        str(tmp_path), '--repeats', '2'
    ]).stdout
    rates = re.findall(r'objects_on=(\w+)\s*:\s*([\d.]+) pages/s', out)
    assert [m for m, _ in rates] == ['grid', 'image']
    assert all(float(r) > 0 for _, r in rates)
    assert 'OpenCV threads restored: True' in out
