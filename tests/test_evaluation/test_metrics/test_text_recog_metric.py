# Copyright (c) docseg_mm contributors. All rights reserved.
import pytest
from mmengine.structures import LabelData

from docseg_mm.evaluation.metrics import TextRecogMetric
from docseg_mm.structures import TextRecogDataSample


def sample(pred, gt, name):
    s = TextRecogDataSample(gt_text=LabelData(item=gt),
                            pred_text=LabelData(item=pred))
    s.set_metainfo(dict(dataset_name=name))
    return s.to_dict()


ROWS = [
    # set A: exact, case only, symbols only, wrong
    ('Hello', 'Hello', 'A'),
    ('hello', 'HELLO', 'A'),
    ("it's", 'its', 'A'),
    ('abd', 'abc', 'A'),
    # set B: right, and one wrong with an edit distance of 2 of 4
    ('RED-5', 'red5', 'B'),
    ('bxxe', 'blue', 'B'),
]


def test_word_accuracies_and_ned_per_set_and_averaged():
    metric = TextRecogMetric()
    metric.process(None, [sample(*r) for r in ROWS])
    out = metric.compute_metrics(metric.results)
    assert out['A/word_acc'] == pytest.approx(1 / 4)
    assert out['A/word_acc_ignore_case'] == pytest.approx(2 / 4)
    assert out['A/word_acc_ignore_case_symbol'] == pytest.approx(3 / 4)
    assert out['B/word_acc'] == 0
    assert out['B/word_acc_ignore_case_symbol'] == pytest.approx(1 / 2)
    # 1-NED on alphanumeric lower case: A: 1, 1, 1, 1-1/3; B: 1, 1-2/4
    assert out['A/1-N.E.D'] == pytest.approx((3 + 2 / 3) / 4)
    assert out['B/1-N.E.D'] == pytest.approx((1 + 0.5) / 2)
    assert out['mean/word_acc_ignore_case_symbol'] == pytest.approx(
        (3 / 4 + 1 / 2) / 2)
    assert out['all/word_acc_ignore_case_symbol'] == pytest.approx(4 / 6)


def test_single_set_has_plain_names_and_empty_strings():
    metric = TextRecogMetric(mode='ignore_case_symbol')
    metric.process(None, [sample('', '!!', 'X'), sample('a', '', 'X')])
    out = metric.compute_metrics(metric.results)
    # '!!' normalises to '' and matches the empty prediction
    assert out == {'word_acc_ignore_case_symbol': 0.5,
                   '1-N.E.D': pytest.approx(0.5)}
    with pytest.raises(ValueError):
        TextRecogMetric(mode=['case'])
