# Copyright (c) docseg_mm contributors. All rights reserved.
"""Switch the active training datasets by iteration (DocSAM curriculum)."""
from typing import List, Optional, Sequence, Tuple

from mmengine.hooks import Hook

from docseg_mm.registry import HOOKS


@HOOKS.register_module()
class DatasetCurriculumHook(Hook):
    """Activate dataset families / datasets in stages of iterations.

    DocSAM's curriculum trains on Layout first, then adds Ancient +
    Handwritten, then Table, then SceneText. Here that is one run with::

        stages=[dict(begin=0, families=['layout']),
                dict(begin=4000, families=['layout', 'ancient',
                                           'handwritten']),
                dict(begin=8000, families=['layout', 'ancient',
                                           'handwritten', 'table']),
                dict(begin=12000, families=None)]  # None: all datasets

    The stage of iteration ``it`` is the last one with ``begin <= it``
    (before the first stage every dataset is active). The hook calls
    ``runner.train_dataloader.sampler.set_active_datasets(...)`` (e.g.
    :class:`DatasetMixSampler`) whenever the stage changes and logs the
    active datasets. It derives the stage from ``runner.iter`` only, so a
    resumed run gets the right stage in ``before_train``.

    Timing: ``after_train_iter`` of iteration ``it`` already applies the
    stage of ``it + 1``, so with ``num_workers=0`` the first batch of a
    stage is drawn from it; with workers, batches prefetched before the
    switch still follow the previous stage.

    Args:
        stages (Sequence[dict]): Each ``dict(begin=int, families=[...])``
            or ``dict(begin=int, datasets=[...])`` (names); a value of None
            means all datasets. ``begin`` must increase.
    """

    priority = 'NORMAL'

    def __init__(self, stages: Sequence[dict]) -> None:
        if not stages:
            raise ValueError('DatasetCurriculumHook needs at least one stage')
        parsed: List[Tuple[int, Optional[Tuple[str, ...]]]] = []
        for i, stage in enumerate(stages):
            if not isinstance(stage, dict) or 'begin' not in stage:
                raise ValueError(f'stages[{i}] must be a dict with "begin", '
                                 f'got {stage!r}')
            keys = [k for k in ('families', 'datasets') if k in stage]
            extra = set(stage) - {'begin', 'families', 'datasets'}
            if len(keys) != 1 or extra:
                raise ValueError(
                    f'stages[{i}] needs "begin" and exactly one of '
                    f'"families" / "datasets", got keys {sorted(stage)}')
            begin, value = stage['begin'], stage[keys[0]]
            if not isinstance(begin, int) or isinstance(begin, bool) or \
                    begin < 0:
                raise ValueError(f'stages[{i}]["begin"] must be an int >= 0, '
                                 f'got {begin!r}')
            if parsed and begin <= parsed[-1][0]:
                raise ValueError('stage "begin" values must increase, got '
                                 f'{[s["begin"] for s in stages]}')
            if isinstance(value, str):
                value = (value, )
            elif value is not None:
                value = tuple(value)
                if not value:
                    raise ValueError(f'stages[{i}]: empty {keys[0]} list')
            parsed.append((begin, value))
        self.stages = parsed
        self.current: Optional[int] = None

    def stage_index(self, it: int) -> int:
        """Index of the stage of iteration ``it`` (-1: before the first).

        Args:
            it (int): Iteration (0-based).

        Returns:
            int: Stage index.
        """
        index = -1
        for i, (begin, _) in enumerate(self.stages):
            if begin <= it:
                index = i
        return index

    def _apply(self, runner, it: int) -> None:
        """Switch the sampler to the stage of ``it`` if it changed."""
        index = self.stage_index(it)
        if index == self.current:
            return
        sampler = getattr(runner.train_dataloader, 'sampler', None)
        setter = getattr(sampler, 'set_active_datasets', None)
        if not callable(setter):
            raise TypeError(
                'DatasetCurriculumHook needs a train sampler with '
                '`set_active_datasets` (e.g. DatasetMixSampler), got '
                f'{type(sampler).__name__}')
        selection = None if index < 0 else self.stages[index][1]
        active = setter(selection)
        self.current = index
        begin = 0 if index < 0 else self.stages[index][0]
        names = ', '.join(active) if active is not None else 'all'
        runner.logger.info(
            f'DatasetCurriculumHook: iter {it}: stage {index} (begin '
            f'{begin}, {selection or "all datasets"}) -> active datasets: '
            f'{names}')

    def before_train(self, runner) -> None:
        """Apply the stage of the (possibly resumed) start iteration."""
        self.current = None
        self._apply(runner, runner.iter)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        """Make sure the stage of the current iteration is active."""
        self._apply(runner, runner.iter)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Switch ahead, before the next iteration's batch is drawn."""
        self._apply(runner, runner.iter + 1)
