# Copyright (c) docseg_mm contributors. All rights reserved.
"""DatasetCurriculumHook with a fake runner."""
from types import SimpleNamespace

import numpy as np
import pytest

from docseg_mm.datasets.samplers.dataset_mix_sampler import DatasetMixSampler
from docseg_mm.engine.hooks.dataset_curriculum_hook import \
    DatasetCurriculumHook
from docseg_mm.registry import HOOKS

STAGES = [
    dict(begin=0, families=['layout']),
    dict(begin=100, families=['layout', 'table']),
    dict(begin=200, datasets=None),
]


class Mixed:
    dataset_names = ('lay', 'tab', 'anc')
    families = ('layout', 'table', 'ancient')
    num_classes_per_dataset = (1, 4, 16)
    cumulative_sizes = [10, 30, 60]


class Logger:

    def __init__(self):
        self.lines = []

    def info(self, msg):
        self.lines.append(msg)


def _runner(sampler, it=0):
    return SimpleNamespace(
        iter=it,
        train_dataloader=SimpleNamespace(sampler=sampler),
        logger=Logger())


def _run(hook, runner, start, stop):
    """Call the hook as IterBasedTrainLoop does for iterations."""
    for it in range(start, stop):
        runner.iter = it
        hook.before_train_iter(runner, batch_idx=it)
        hook.after_train_iter(runner, batch_idx=it)


def test_stages_switch_sampler():
    sampler = DatasetMixSampler(Mixed(), seed=0)
    hook = HOOKS.build(dict(type='DatasetCurriculumHook', stages=STAGES))
    runner = _runner(sampler)
    hook.before_train(runner)
    assert sampler.active_datasets == ('lay', )
    assert 'active datasets: lay' in runner.logger.lines[-1]
    _run(hook, runner, 0, 99)
    assert sampler.active_datasets == ('lay', ) and hook.current == 0
    _run(hook, runner, 99, 100)  # after iter 99: switch for iter 100
    assert sampler.active_datasets == ('lay', 'tab') and hook.current == 1
    # sqrt(1) : sqrt(4)
    np.testing.assert_allclose(sampler.probabilities, [1 / 3, 2 / 3, 0])
    _run(hook, runner, 100, 250)
    assert sampler.active_datasets == ('lay', 'tab', 'anc')
    assert len(runner.logger.lines) == 3  # one line per change


def test_resume_and_before_first_stage():
    calls = []
    sampler = SimpleNamespace(
        set_active_datasets=lambda sel: calls.append(sel) or ('x', ))
    hook = DatasetCurriculumHook(STAGES)
    runner = _runner(sampler, it=150)
    hook.before_train(runner)
    assert calls == [('layout', 'table')]
    hook.before_train_iter(runner, batch_idx=150)
    assert len(calls) == 1
    late = DatasetCurriculumHook([dict(begin=10, families='table')])
    runner = _runner(sampler, it=0)
    late.before_train(runner)
    assert calls[-1] is None  # all datasets before the first stage
    _run(late, runner, 0, 10)
    assert calls[-1] == ('table', )
    assert late.stage_index(10) == 0 and late.stage_index(9) == -1


def test_errors():
    hook = DatasetCurriculumHook(STAGES)
    with pytest.raises(TypeError, match='set_active_datasets'):
        hook.before_train(_runner(object()))
    bad = [
        [],
        [dict(families=['layout'])],
        [dict(begin=0, families=['a'], datasets=['b'])],
        [dict(begin=5, families=['a']),
         dict(begin=5, families=['b'])],
        [dict(begin=-1, families=['a'])],
        [dict(begin=0, families=[])],
    ]
    for stages in bad:
        with pytest.raises(ValueError):
            DatasetCurriculumHook(stages)
    sampler = DatasetMixSampler(Mixed(), seed=0)
    hook = DatasetCurriculumHook([dict(begin=0, families=['scenetext'])])
    with pytest.raises(ValueError, match='scenetext'):
        hook.before_train(_runner(sampler))
