# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of the shared :class:`ConversionReport`."""
import pytest

from docseg_mm.models.converters import ConversionReport


def _report():
    return ConversionReport(
        'toy',
        mapped={'q': 'backbone.qkv', 'k': 'backbone.qkv', 'v': 'backbone.qkv',
                'n.w': 'neck.w'},
        dropped={'fpn.a': 'never used', 'fpn.b': 'never used',
                 'pos': 'regenerated', 'fpn.c': 'never used',
                 'fpn.d': 'never used'},
        added={'steps': 'EMA counter'},
        notes=['checked'],
        group_of=lambda key: key.split('.')[0] + '.*')


def test_check_complete():
    report = _report()
    report.check_complete(list(report.mapped) + list(report.dropped))
    with pytest.raises(RuntimeError, match=r"missing=\['extra'\]"):
        report.check_complete(
            list(report.mapped) + list(report.dropped) + ['extra'])
    with pytest.raises(RuntimeError, match=r"extra=\['pos'\]"):
        report.check_complete(list(report.mapped) + ['fpn.a', 'fpn.b',
                                                     'fpn.c', 'fpn.d'])
    report.dropped['q'] = 'twice'
    with pytest.raises(RuntimeError, match=r"both=\['q'\]"):
        report.check_complete(list(report.mapped) + list(report.dropped))


def test_groups_and_summary():
    report = _report()
    assert report.dropped_by_reason() == {
        'never used': ['fpn.a', 'fpn.b', 'fpn.c', 'fpn.d'],
        'regenerated': ['pos']}
    # three sources fused into one target count once
    assert report.mapped_by_group(report.group_of) == {'backbone.*': 1,
                                                       'neck.*': 1}
    assert report.summary().splitlines() == [
        'source format : toy',
        'source tensors: 9',
        'mapped        : 4',
        'dropped       : 5',
        '  -> backbone.*' + ' ' * 18 + '1 tensors',
        '  -> neck.*' + ' ' * 22 + '1 tensors',
        '  dropped    4 (never used): fpn.a, fpn.b, fpn.c, ...',
        '  dropped    1 (regenerated): pos',
        '  added steps (EMA counter)',
        '  note: checked',
    ]
    report.group_of = None
    assert '  ->' not in report.summary(max_listed=4)
    assert 'fpn.a, fpn.b, fpn.c, fpn.d' in report.summary(max_listed=4)
