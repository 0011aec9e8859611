# Copyright (c) docseg_mm contributors. All rights reserved.
"""Fixtures that write tiny COCO jsons and PNG pages into ``tmp_path``."""
import json
import os
import os.path as osp
from typing import Callable, List, Optional

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope


@pytest.fixture(autouse=True)
def docseg_scope() -> None:
    """Make ``docseg_mm`` the default registry scope."""
    init_default_scope('docseg_mm')


@pytest.fixture
def write_coco(tmp_path) -> Callable[..., str]:
    """Return ``f(images, annotations, categories, name=...) -> path``."""

    def _write(images: List[dict],
               annotations: List[dict],
               categories: List[dict],
               name: str = 'ann.json',
               extra: Optional[dict] = None) -> str:
        content = dict(
            images=images, annotations=annotations, categories=categories)
        content.update(extra or {})
        path = osp.join(str(tmp_path), name)
        with open(path, 'w') as f:
            json.dump(content, f)
        return path

    return _write


@pytest.fixture
def write_png(tmp_path) -> Callable[..., str]:
    """Return ``f(rel_path, width, height, value=200) -> path``."""

    def _write(rel_path: str,
               width: int,
               height: int,
               value: int = 200) -> str:
        path = osp.join(str(tmp_path), rel_path)
        dirname = osp.dirname(path)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        img = np.full((height, width, 3), value, dtype=np.uint8)
        img[:height // 2, :width // 2] = 30
        assert cv2.imwrite(path, img)
        return path

    return _write


@pytest.fixture
def log_lines(monkeypatch) -> List[str]:
    """Collect messages ``print_log`` gets inside ``coco_classes`` and the
    skip-reporting layer (``skip_report``)."""
    lines: List[str] = []
    from docseg_mm.datasets import coco_classes, skip_report

    def _record(msg, logger=None, level=None):
        lines.append(str(msg))

    monkeypatch.setattr(coco_classes, 'print_log', _record)
    monkeypatch.setattr(skip_report, 'print_log', _record)
    return lines
