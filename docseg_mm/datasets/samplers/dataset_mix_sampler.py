# Copyright (c) docseg_mm contributors. All rights reserved.
"""Infinite sampler that mixes datasets with chosen probabilities."""
import logging
import math
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.logging import print_log
from torch.utils.data import Sampler

from docseg_mm.registry import DATA_SAMPLERS

Names = Union[str, Sequence[str], None]


@DATA_SAMPLERS.register_module()
class DatasetMixSampler(Sampler):
    """Draw a dataset per sample, then an image of it (DocSAM mixing).

    For every sample a dataset ``i`` is drawn with probability ``p_i``
    (restricted to the active datasets and renormalised), then a local index
    of it; the GLOBAL index of the :class:`HeterogeneousDataset` is
    yielded. Modes: ``'sqrt_classes'`` ``p_i ∝ sqrt(C_i)`` (DocSAM; ``C_i``
    = non-background classes), ``'uniform'``, ``'size'`` ``p_i ∝ |D_i|``,
    or explicit ``weights`` (then ``mode`` is ignored). Local indices come
    from a per-dataset shuffled cycle (every image once per pass, reshuffled
    per pass) with ``local_shuffle=True``, else uniformly at random with
    replacement. Empty datasets (and zero weights) are never drawn (a
    warning names them).

    Infinite, like mmengine's ``InfiniteSampler``: use it with
    ``IterBasedTrainLoop``. Each rank draws its own stream from numpy's
    ``default_rng([seed, rank])`` (``seed`` is synced over ranks when None).
    The state is kept across ``iter()`` calls, so an iterator that is
    re-created continues the stream.

    :meth:`set_active_datasets` restricts the draws at any time; it affects
    the draws made after the call, also by a running iterator. The sampler
    lives in the main process, but a ``DataLoader`` draws indices ahead
    (``num_workers * prefetch_factor`` batches with workers, the current
    batch without), so those samples still follow the old set.

    Args:
        dataset (HeterogeneousDataset): The mixed dataset (needs
            ``dataset_names``, ``families``, ``cumulative_sizes`` and
            ``num_classes_per_dataset``).
        mode (str): ``'sqrt_classes'``, ``'uniform'`` or ``'size'``.
            Defaults to 'sqrt_classes'.
        weights (Sequence[float] | dict, optional): Non-negative weight per
            dataset (in dataset order, or ``{name: weight}`` for every
            dataset). Defaults to None.
        local_shuffle (bool): Shuffled cycle per dataset instead of uniform
            draws with replacement. Defaults to True.
        active (str | Sequence[str], optional): Initially active dataset
            names / families. Defaults to None (all).
        seed (int, optional): Random seed. Defaults to None.
    """

    MODES = ('sqrt_classes', 'uniform', 'size')

    def __init__(self,
                 dataset,
                 mode: str = 'sqrt_classes',
                 weights: Union[Sequence[float], Dict[str, float],
                                None] = None,
                 local_shuffle: bool = True,
                 active: Names = None,
                 seed: Optional[int] = None) -> None:
        if mode not in self.MODES:
            raise ValueError(f'mode must be one of {self.MODES}, got {mode!r}')
        missing = [
            a for a in ('dataset_names', 'families', 'cumulative_sizes',
                        'num_classes_per_dataset') if not hasattr(dataset, a)
        ]
        if missing:
            raise TypeError(
                'DatasetMixSampler needs a HeterogeneousDataset (or a dataset '
                f'with the same API); {type(dataset).__name__} lacks '
                f'{missing}')
        if hasattr(dataset, 'full_init'):
            dataset.full_init()
        self.dataset = dataset
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.names: Tuple[str, ...] = tuple(dataset.dataset_names)
        self.families: Tuple[str, ...] = tuple(dataset.families)
        ends = list(dataset.cumulative_sizes)
        self.offsets = [0] + ends[:-1]
        self.sizes = [e - s for s, e in zip(self.offsets, ends)]
        self.mode = 'weights' if weights is not None else mode
        self.base_weights = self._base_weights(mode, weights)
        self.local_shuffle = local_shuffle
        self.epoch = 0
        self._rng = np.random.default_rng([self.seed, self.rank])
        self._orders: List[Optional[np.ndarray]] = [None] * len(self.names)
        self._cursors = [0] * len(self.names)
        self._active = np.ones(len(self.names), dtype=bool)
        self._cdf = np.zeros(0)
        self.set_active_datasets(active)

    # ------------------------------------------------------------------
    # probabilities
    # ------------------------------------------------------------------
    def _base_weights(
            self, mode: str, weights: Union[Sequence[float], Dict[str, float],
                                            None]) -> np.ndarray:
        """Unnormalised weight per dataset, 0 for empty datasets."""
        if weights is not None:
            if isinstance(weights, dict):
                unknown = sorted(set(weights) - set(self.names))
                absent = [n for n in self.names if n not in weights]
                if unknown or absent:
                    raise ValueError(
                        f'weights keys must be the dataset names '
                        f'{self.names}; unknown: {unknown}, missing: '
                        f'{absent}')
                weights = [weights[n] for n in self.names]
            values = [float(w) for w in weights]
            if len(values) != len(self.names):
                raise ValueError(f'weights has {len(values)} entries for '
                                 f'{len(self.names)} datasets {self.names}')
            if not all(math.isfinite(w) and w >= 0 for w in values):
                raise ValueError('weights must be finite and >= 0, got '
                                 f'{values}')
        elif mode == 'sqrt_classes':
            values = [
                math.sqrt(c) for c in self.dataset.num_classes_per_dataset
            ]
        elif mode == 'size':
            values = [float(s) for s in self.sizes]
        else:
            values = [1.0] * len(self.names)
        values = np.asarray(values, dtype=np.float64)
        empty = [n for n, s in zip(self.names, self.sizes) if s == 0]
        if empty:
            print_log(
                f'DatasetMixSampler: dataset(s) {empty} are empty and will '
                'never be drawn',
                logger='current',
                level=logging.WARNING)
        values[np.asarray(self.sizes) == 0] = 0.
        zero = [
            n for n, w, s in zip(self.names, values, self.sizes)
            if w == 0 and s > 0
        ]
        if zero:
            print_log(
                f'DatasetMixSampler: dataset(s) {zero} have weight 0 '
                f'(mode {self.mode!r}) and will never be drawn',
                logger='current',
                level=logging.WARNING)
        return values

    @property
    def probabilities(self) -> np.ndarray:
        """Current draw probability per dataset (0 when inactive)."""
        weights = self.base_weights * self._active
        return weights / weights.sum()

    @property
    def active_datasets(self) -> Tuple[str, ...]:
        """Names of the active datasets."""
        return tuple(n for n, a in zip(self.names, self._active) if a)

    def set_active_datasets(self, names_or_families: Names) -> Tuple[str, ...]:
        """Restrict the draws to some datasets (by name or family).

        Args:
            names_or_families (str | Sequence[str] | None): Dataset names
                and/or task families; a family activates all its datasets.
                None activates every dataset.

        Returns:
            tuple[str]: Names of the datasets now active.

        Raises:
            ValueError: An entry matches no dataset name or family, or no
                active dataset has a positive probability.
        """
        if names_or_families is None:
            active = np.ones(len(self.names), dtype=bool)
        else:
            if isinstance(names_or_families, str):
                names_or_families = [names_or_families]
            active = np.zeros(len(self.names), dtype=bool)
            for entry in names_or_families:
                hit = np.array([
                    entry in (n, f) for n, f in zip(self.names, self.families)
                ])
                if not hit.any():
                    raise ValueError(
                        f'DatasetMixSampler: {entry!r} is neither a dataset '
                        f'name {self.names} nor a family '
                        f'{tuple(sorted(set(self.families)))}')
                active |= hit
        weights = self.base_weights * active
        if weights.sum() <= 0:
            chosen = [n for n, a in zip(self.names, active) if a]
            raise ValueError(
                f'DatasetMixSampler: no dataset of {chosen} can be drawn '
                '(empty or zero weight)')
        self._active = active
        self._cdf = np.cumsum(weights / weights.sum())
        return self.active_datasets

    # ------------------------------------------------------------------
    # drawing
    # ------------------------------------------------------------------
    def _local_index(self, k: int) -> int:
        """Next local index of dataset ``k``."""
        size = self.sizes[k]
        if not self.local_shuffle:
            return int(self._rng.integers(size))
        order = self._orders[k]
        if order is None or self._cursors[k] >= size:
            order = self._orders[k] = self._rng.permutation(size)
            self._cursors[k] = 0
        self._cursors[k] += 1
        return int(order[self._cursors[k] - 1])

    def draw(self) -> int:
        """Draw one global index with the current probabilities.

        Returns:
            int: Global index into the dataset.
        """
        k = int(np.searchsorted(self._cdf, self._rng.random(), side='right'))
        k = min(k, len(self._cdf) - 1)
        while self._cdf[k] == (self._cdf[k - 1] if k else 0.):
            k -= 1  # float rounding at the top: last dataset with p > 0
        return self.offsets[k] + self._local_index(k)

    def __iter__(self) -> Iterator[int]:
        """Yield global indices forever."""
        while True:
            yield self.draw()

    def __len__(self) -> int:
        """Length of the dataset (for logging; the sampler is infinite)."""
        return self.offsets[-1] + self.sizes[-1] if self.sizes else 0

    def set_epoch(self, epoch: int) -> None:
        """Record the epoch (the stream does not depend on it)."""
        self.epoch = epoch
