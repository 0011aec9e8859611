# Copyright (c) docseg_mm contributors. All rights reserved.
"""DatasetMixSampler: sqrt(#classes) mixing, active sets, rank streams."""
import itertools
import math

import numpy as np
import pytest

from docseg_mm.datasets.samplers import dataset_mix_sampler as module
from docseg_mm.datasets.samplers.dataset_mix_sampler import DatasetMixSampler
from docseg_mm.registry import DATA_SAMPLERS


class FakeMixed:
    """The HeterogeneousDataset API the sampler needs."""

    def __init__(self, sizes, num_classes, names=None, families=None):
        self.dataset_names = tuple(names
                                   or [f'd{i}' for i in range(len(sizes))])
        self.families = tuple(families or ['layout'] * len(sizes))
        self.num_classes_per_dataset = tuple(num_classes)
        self.cumulative_sizes = np.cumsum(sizes).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]


SIZES = (10, 20, 30)
DATASET = FakeMixed(
    SIZES, (1, 4, 16),
    names=('lay', 'tab', 'anc'),
    families=('layout', 'table', 'ancient'))


def _which(indices):
    """Dataset of each global index (by hand: 0-9, 10-29, 30-59)."""
    return np.searchsorted([10, 30, 60], np.asarray(indices), side='right')


def _draw(sampler, n, it=None):
    return list(itertools.islice(it or iter(sampler), n))


def test_sqrt_classes_frequencies():
    sampler = DATA_SAMPLERS.build(
        dict(type='DatasetMixSampler'),
        default_args=dict(dataset=DATASET, seed=0))
    # sqrt(1) : sqrt(4) : sqrt(16) = 1 : 2 : 4
    expected = np.array([1, 2, 4]) / 7
    np.testing.assert_allclose(sampler.probabilities, expected)
    indices = _draw(sampler, 20000)
    assert min(indices) >= 0 and max(indices) < 60
    freq = np.bincount(_which(indices), minlength=3) / len(indices)
    np.testing.assert_allclose(freq, expected, atol=0.015)
    assert len(sampler) == 60


def test_modes_and_weights():
    uniform = DatasetMixSampler(DATASET, mode='uniform', seed=0)
    np.testing.assert_allclose(uniform.probabilities, [1 / 3] * 3)
    size = DatasetMixSampler(DATASET, mode='size', seed=0)
    np.testing.assert_allclose(size.probabilities, [10 / 60, 20 / 60, 0.5])
    weighted = DatasetMixSampler(DATASET, weights=[3, 0, 1], seed=1)
    np.testing.assert_allclose(weighted.probabilities, [0.75, 0, 0.25])
    freq = np.bincount(_which(_draw(weighted, 20000)), minlength=3) / 20000
    np.testing.assert_allclose(freq, [0.75, 0, 0.25], atol=0.015)
    by_name = DatasetMixSampler(
        DATASET, weights=dict(lay=1, tab=1, anc=2), seed=0)
    np.testing.assert_allclose(by_name.probabilities, [0.25, 0.25, 0.5])
    with pytest.raises(ValueError, match='missing'):
        DatasetMixSampler(DATASET, weights=dict(lay=1), seed=0)
    with pytest.raises(ValueError, match='3 datasets'):
        DatasetMixSampler(DATASET, weights=[1, 1], seed=0)
    with pytest.raises(ValueError, match='>= 0'):
        DatasetMixSampler(DATASET, weights=[1, -1, 1], seed=0)
    with pytest.raises(ValueError, match='mode'):
        DatasetMixSampler(DATASET, mode='sqrt', seed=0)
    with pytest.raises(TypeError, match='HeterogeneousDataset'):
        DatasetMixSampler(list(range(5)), seed=0)


def test_set_active_datasets_mid_iteration():
    sampler = DatasetMixSampler(DATASET, seed=0)
    it = iter(sampler)
    first = _which(_draw(sampler, 2000, it))
    assert set(first) == {0, 1, 2}
    assert sampler.set_active_datasets('table') == ('tab', )
    np.testing.assert_allclose(sampler.probabilities, [0, 1, 0])
    assert set(_which(_draw(sampler, 500, it))) == {1}
    # names and families mixed: lay (sqrt 1) and anc (sqrt 16) -> 1 : 4
    assert sampler.set_active_datasets(['lay', 'ancient']) == ('lay', 'anc')
    np.testing.assert_allclose(sampler.probabilities, [0.2, 0, 0.8])
    freq = np.bincount(_which(_draw(sampler, 10000, it)), minlength=3)
    np.testing.assert_allclose(freq / 10000, [0.2, 0, 0.8], atol=0.015)
    with pytest.raises(ValueError, match='scenetext'):
        sampler.set_active_datasets(['scenetext'])
    assert sampler.active_datasets == ('lay', 'anc')  # unchanged
    sampler.set_active_datasets(None)
    assert set(_which(_draw(sampler, 2000, it))) == {0, 1, 2}


def test_rank_streams_and_determinism(monkeypatch):
    streams = {}
    for rank in (0, 1):
        monkeypatch.setattr(module, 'get_dist_info', lambda r=rank: (r, 2))
        streams[rank] = _draw(DatasetMixSampler(DATASET, seed=7), 200)
        again = _draw(DatasetMixSampler(DATASET, seed=7), 200)
        assert again == streams[rank]
    assert streams[0] != streams[1]
    monkeypatch.setattr(module, 'get_dist_info', lambda: (0, 1))
    assert _draw(DatasetMixSampler(DATASET, seed=8), 200) != streams[0]


def test_local_cycle_and_random():
    sampler = DatasetMixSampler(DATASET, seed=3, active='lay')
    cycle = _draw(sampler, 20)
    assert sorted(cycle[:10]) == list(range(10))
    assert sorted(cycle[10:]) == list(range(10))
    plain = DatasetMixSampler(
        DATASET, seed=3, active='tab', local_shuffle=False)
    draws = _draw(plain, 400)
    assert min(draws) >= 10 and max(draws) <= 29
    assert len(set(draws)) == 20  # all 20 seen with 400 uniform draws


def test_empty_dataset(monkeypatch):
    logs = []
    monkeypatch.setattr(module, 'print_log',
                        lambda msg, **kwargs: logs.append(msg))
    ds = FakeMixed((5, 0, 5), (4, 9, 1), names=('a', 'empty', 'c'))
    sampler = DatasetMixSampler(ds, seed=0)
    assert any('empty' in m and 'never be drawn' in m for m in logs)
    np.testing.assert_allclose(sampler.probabilities, [2 / 3, 0, 1 / 3])
    draws = _draw(sampler, 3000)
    assert all(0 <= i < 5 or 5 <= i < 10 for i in draws)
    with pytest.raises(ValueError, match='can be drawn'):
        sampler.set_active_datasets('empty')
    assert math.isclose(sum(sampler.probabilities), 1.0)
