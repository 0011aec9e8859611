# Copyright (c) docseg_mm contributors. All rights reserved.
"""COCO-eval backends give pycocotools' numbers (faster-coco-eval)."""
import contextlib
import copy
import io
import sys

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from docseg_mm.evaluation.functional import coco_eval_backend
from docseg_mm.evaluation.functional import get_coco_eval_class
from docseg_mm.testing.synthetic_coco import synthetic_coco



@pytest.fixture(scope='module')
def synthetic():
    return synthetic_coco(40, crowd_fraction=0.05, seed=3)


def _run(evaluator, synthetic, iou_type, max_dets):
    gt, results = synthetic
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = copy.deepcopy(gt)
        coco.createIndex()
        preds = copy.deepcopy(results)
        if iou_type == 'segm':
            for p in preds:
                p.pop('bbox')  # mask area drives the size split
        ev = evaluator(coco, coco.loadRes(preds), iou_type)
        ev.params.maxDets = list(max_dets)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


@pytest.mark.parametrize('iou_type', ['bbox', 'segm'])
@pytest.mark.parametrize('max_dets', [(1, 10, 100), (40, 400, 4000)])
def test_faster_backend_gives_pycocotools_numbers(synthetic, iou_type,
                                                  max_dets):
    ref = _run(COCOeval, synthetic, iou_type, max_dets)
    fast = _run(
        get_coco_eval_class('faster_coco_eval'), synthetic, iou_type,
        max_dets)
    from faster_coco_eval import COCOeval_faster
    assert isinstance(fast, COCOeval_faster)
    # a non-trivial set: every size class defined, AP neither 0 nor 1
    assert len(ref.stats) == 12 and (ref.stats[1:] > -1).all()
    assert 0.2 < ref.stats[1] < 0.9
    # pycocotools reads stats[0] at 100 detections (-1 if 100 is not in
    # maxDets); the faster class keeps that summary
    assert (ref.stats[0] == -1) == (100 not in max_dets)
    np.testing.assert_allclose(fast.stats, ref.stats, rtol=0, atol=1e-12)
    # pycocotools divides by tp + fp + eps: precision equal up to 1 ulp
    np.testing.assert_allclose(
        fast.eval['precision'], ref.eval['precision'], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(fast.eval['recall'], ref.eval['recall'])
    np.testing.assert_array_equal(fast.eval['scores'], ref.eval['scores'])


def test_pycocotools_backend_is_pycocotools():
    assert get_coco_eval_class('pycocotools') is COCOeval
    assert get_coco_eval_class() is COCOeval


def test_unknown_backend():
    with pytest.raises(ValueError, match='faster_coco_eval'):
        get_coco_eval_class('detectron2')


def test_missing_package_error(monkeypatch):
    monkeypatch.setattr(coco_eval_backend, '_FASTER_CLASS', None)
    monkeypatch.setitem(sys.modules, 'faster_coco_eval', None)
    with pytest.raises(ImportError, match='pip install faster-coco-eval'):
        get_coco_eval_class('faster_coco_eval')
    # the pycocotools backend does not need it
    assert get_coco_eval_class('pycocotools') is COCOeval
