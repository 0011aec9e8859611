# Copyright (c) docseg_mm contributors. All rights reserved.
"""Concatenation of datasets that keep their own classes and prompts."""
import bisect
import copy
from typing import Any, List, Optional, Sequence, Tuple, Union

from mmengine.dataset import BaseDataset
from torch.utils.data import Dataset

from docseg_mm.registry import DATASETS


def _attr_or_meta(dataset: Any, key: str) -> Any:
    """``dataset.key``, else ``dataset.metainfo[key]``, else None."""
    value = getattr(dataset, key, None)
    if value is None:
        value = (getattr(dataset, 'metainfo', None) or {}).get(key, None)
    return value


@DATASETS.register_module()
class HeterogeneousDataset(Dataset):
    """Datasets with different class sets, indexed one after the other.

    Unlike mmengine's ``ConcatDataset`` the metainfos may differ: every
    sample keeps its own dataset's ``class_names`` (sub-datasets such as
    :class:`DocSAMFolderDataset` / :class:`DocSAMCocoDataset` put them in
    each data info). Global index ``i`` belongs to dataset ``k`` with
    ``cumulative_sizes[k-1] <= i < cumulative_sizes[k]``. Pair with
    :class:`DatasetMixSampler` to draw datasets by ``sqrt(#classes)``.

    A sub-dataset needs a unique ``dataset_name`` and, unless ``families``
    is given, a ``task`` (attributes or metainfo keys) and ``classes`` in
    its metainfo. ``metainfo`` has ``dataset_names``,
    ``class_names_per_dataset`` (classes + background prompt), ``tasks``
    and ``classes_per_dataset``; there is no global ``classes``.

    Args:
        datasets (Sequence[dict | BaseDataset]): Sub-datasets or configs.
        families (Sequence[str], optional): Task family per dataset.
            Defaults to None (each dataset's ``task``).
        lazy_init (bool): Defer :meth:`full_init` (``full_init`` of the
            sub-datasets and the offsets) to the first use. Sub-datasets
            built from configs follow their own ``lazy_init``. Defaults to
            False.
    """

    def __init__(self,
                 datasets: Sequence[Union[dict, BaseDataset]],
                 families: Optional[Sequence[str]] = None,
                 lazy_init: bool = False) -> None:
        if isinstance(datasets, (dict, BaseDataset)) or not datasets:
            raise ValueError('HeterogeneousDataset needs a non-empty list of '
                             f'datasets or configs, got {datasets!r:.120}')
        self.datasets: List[Any] = []
        for i, ds in enumerate(datasets):
            if isinstance(ds, dict):
                ds = DATASETS.build(ds)
            elif not (hasattr(ds, '__getitem__') and hasattr(ds, '__len__')):
                raise TypeError(f'datasets[{i}] must be a dataset or a '
                                f'config dict, got {type(ds).__name__}')
            self.datasets.append(ds)
        if families is not None and len(families) != len(self.datasets):
            raise ValueError(f'families has {len(families)} entries for '
                             f'{len(self.datasets)} datasets')
        self._families = None if families is None else tuple(families)
        self.dataset_names = self._names()
        self.families = self._get_families()
        self.cumulative_sizes: List[int] = []
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    def _names(self) -> Tuple[str, ...]:
        """Unique ``dataset_name`` of every sub-dataset."""
        names = []
        for i, ds in enumerate(self.datasets):
            name = _attr_or_meta(ds, 'dataset_name')
            if not isinstance(name, str) or not name:
                raise ValueError(
                    f'datasets[{i}] ({type(ds).__name__}) has no '
                    '`dataset_name` (attribute or metainfo key); use a '
                    'DocSAM dataset or set metainfo=dict(dataset_name=...)')
            names.append(name)
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f'dataset names must be unique, got {repeated} '
                             f'more than once in {names}')
        return tuple(names)

    def _get_families(self) -> Tuple[str, ...]:
        """Family per dataset: ``families`` or each dataset's ``task``."""
        if self._families is not None:
            return self._families
        families = []
        for name, ds in zip(self.dataset_names, self.datasets):
            task = _attr_or_meta(ds, 'task')
            if not isinstance(task, str) or not task:
                raise ValueError(f'dataset {name!r} has no `task`; pass '
                                 'families=[...] to HeterogeneousDataset')
            families.append(task)
        return tuple(families)

    def full_init(self) -> None:
        """Fully initialise the sub-datasets and compute the offsets."""
        if self._fully_initialized:
            return
        sizes, total = [], 0
        for ds in self.datasets:
            if hasattr(ds, 'full_init'):
                ds.full_init()
            total += len(ds)
            sizes.append(total)
        self.cumulative_sizes = sizes
        self._fully_initialized = True

    @property
    def sizes(self) -> Tuple[int, ...]:
        """Number of samples of each sub-dataset."""
        self.full_init()
        return tuple(len(ds) for ds in self.datasets)

    @property
    def num_classes_per_dataset(self) -> Tuple[int, ...]:
        """Number of non-background classes ``C_i`` of each dataset."""
        self.full_init()
        return tuple(len(c) for c in self._classes())

    def _classes(self) -> List[Tuple[str, ...]]:
        """``metainfo['classes']`` of each dataset."""
        out = []
        for name, ds in zip(self.dataset_names, self.datasets):
            classes = (getattr(ds, 'metainfo', None) or {}).get('classes')
            if classes is None:
                raise ValueError(f'dataset {name!r} has no classes in its '
                                 'metainfo')
            out.append(tuple(classes))
        return out

    def _class_names(self) -> List[Tuple[str, ...]]:
        """Classes + background prompt of each dataset."""
        out = []
        for name, ds, classes in zip(self.dataset_names, self.datasets,
                                     self._classes()):
            names = _attr_or_meta(ds, 'class_names')
            out.append(
                tuple(names) if names is not None else classes +
                (f'{name} _background_', ))
        return out

    @property
    def metainfo(self) -> dict:
        """``dataset_names``, ``class_names_per_dataset``, ``tasks``,
        ``classes_per_dataset`` (a copy)."""
        self.full_init()
        return dict(
            dataset_names=self.dataset_names,
            class_names_per_dataset=tuple(self._class_names()),
            classes_per_dataset=tuple(self._classes()),
            tasks=self.families)

    def get_subset_metainfo(self, index: int) -> dict:
        """Metainfo of sub-dataset ``index`` (a copy).

        Args:
            index (int): Dataset index.

        Returns:
            dict: Its metainfo.
        """
        self.full_init()
        return copy.deepcopy(self.datasets[index].metainfo)

    def get_dataset_index(self, idx: int) -> Tuple[int, int]:
        """Dataset index and local sample index of a global index.

        Args:
            idx (int): Global index (negative counts from the end).

        Returns:
            tuple[int, int]: ``(dataset index, local index)``.
        """
        self.full_init()
        total = len(self)
        if idx < 0:
            idx += total
        if not 0 <= idx < total:
            raise IndexError(f'index {idx} out of range for '
                             f'HeterogeneousDataset of length {total}')
        k = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[k - 1] if k > 0 else 0
        return k, idx - start

    def get_data_info(self, idx: int) -> dict:
        """Data info (before the pipeline) of a global index.

        Args:
            idx (int): Global index.

        Returns:
            dict: The sub-dataset's data info.
        """
        k, local = self.get_dataset_index(idx)
        return self.datasets[k].get_data_info(local)

    def __getitem__(self, idx: int) -> Any:
        """The processed sample at a global index.

        Errors of the sub-dataset are re-raised (same type when possible)
        with the dataset name and local index prepended.
        """
        k, local = self.get_dataset_index(idx)
        try:
            return self.datasets[k][local]
        except Exception as e:
            msg = (f'dataset {self.dataset_names[k]!r} (#{k}), local index '
                   f'{local} (global {idx}): {type(e).__name__}: {e}')
            try:
                new = type(e)(msg)
            except Exception:
                new = RuntimeError(msg)
            raise new from e

    def __len__(self) -> int:
        """Total number of samples."""
        self.full_init()
        return self.cumulative_sizes[-1] if self.cumulative_sizes else 0

    def __repr__(self) -> str:
        """Names, families and sizes of the sub-datasets."""
        parts = [
            f'{n} ({f}, {len(d) if self._fully_initialized else "?"})' for n,
            f, d in zip(self.dataset_names, self.families, self.datasets)
        ]
        return f'{type(self).__name__}({", ".join(parts)})'
