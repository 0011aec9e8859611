# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of the skip-reporting layer shared by the dataset classes."""
import logging

import pytest

from docseg_mm.datasets import skip_report
from docseg_mm.datasets.skip_report import SkipReportMixin, summarize_ids


class _Owner(SkipReportMixin):
    NOTICE_REASONS = frozenset({'precedence'})
    num_logged_ids = 2


@pytest.fixture
def logged(monkeypatch):
    lines = []
    monkeypatch.setattr(skip_report, 'print_log',
                        lambda msg, logger=None, level=None: lines.append(
                            (msg, level)))
    return lines


def test_counts_first_refs_and_log_level(logged):
    owner = _Owner()
    owner._reset_skips()
    for ref in ('a', 'b', 'c'):
        assert owner._skip('precedence', ref) is None
    owner._log_load_summary('X: 3 images')
    assert owner.skipped == {'precedence': 3}
    assert owner.skipped_ids == {'precedence': ['a', 'b']}  # 2 logged
    assert logged[-1] == (
        'X: 3 images; skipped 3: precedence=3 (ann ids a, b, ...)',
        logging.INFO)  # intended filtering only
    owner._skip('bad_bbox', 7)
    owner._log_load_summary('X', label='refs')
    assert logged[-1] == (
        'X; skipped 4: bad_bbox=1 (refs 7); precedence=3 (refs a, b, ...)',
        logging.WARNING)
    owner._reset_skips()
    assert owner.skipped == {} and owner.skipped_ids == {}
    owner._log_load_summary('quiet', always=False)
    assert logged[-1][0].startswith('X;')  # nothing logged
    owner._log_load_summary('loaded')
    assert logged[-1] == ('loaded', logging.INFO)


def test_summarize_ids_sorted_by_reason():
    text = summarize_ids({'b': [1], 'a': [2, 3]}, {'b': 1, 'a': 5}, 'ids')
    assert text == 'a=5 (ids 2, 3, ...); b=1 (ids 1)'


def test_keep_existing_modes(tmp_path, logged):
    (tmp_path / 'x.png').write_bytes(b'')
    paths = [str(tmp_path / 'x.png'), str(tmp_path / 'gone.png')]
    wheres = ['list.txt:1', 'list.txt:2']
    owner = _Owner()
    owner._reset_skips()
    assert owner._keep_existing(paths, wheres, 'defer') == [0, 1]
    assert owner._keep_existing(paths, wheres, 'skip') == [0]
    assert owner.skipped == {'missing_image': 1}
    assert owner.skipped_ids['missing_image'] == [
        f'{paths[1]} (list.txt:2)']
    with pytest.raises(FileNotFoundError,
                       match=r"_Owner: image .*gone\.png.*list\.txt:2"):
        owner._keep_existing(paths, wheres, 'error')
    with pytest.raises(ValueError, match='missing_images'):
        owner._keep_existing(paths, wheres, 'ignore')
