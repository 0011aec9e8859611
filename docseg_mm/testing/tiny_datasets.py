# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tiny datasets in the on-disk format of each dataset type.

A config test must run a config's own pipeline on a few samples in the
format that config reads (DocLayNet COCO, DocSAM folders, VOC, LMDB ...).
Each dataset type registers a *writer*::

    @register_tiny_writer('DocLayNetDataset', 'PubLayNetDataset')
    def write_tiny_coco(dataset_cfg: dict, root: str) -> dict:
        ...

A writer reads the dataset config (its ``ann_file``, ``data_prefix`` and
the like, relative to ``data_root``), writes a handful of samples exactly
where that config looks for them under ``root``, and returns the dataset
config to use (a copy with ``data_root=root`` and whatever else must change,
e.g. a shortened split list). Writers live next to this module, one file per
dataset family (``tiny_<family>.py``), and are imported in
:func:`_load_writers`.
"""
import copy
import importlib
import pkgutil
from typing import Callable, Dict

WriterType = Callable[[dict, str], dict]

#: Path arguments made relative before a writer joins them to its root.
RELATIVE_KEYS = ('data_root', 'ann_file', 'split_file', 'tags_file')
#: Dataset type name (without a scope prefix) -> writer.
TINY_DATASET_WRITERS: Dict[str, WriterType] = {}


def register_tiny_writer(*dataset_types: str) -> Callable:
    """Register a tiny-dataset writer for one or more dataset type names.

    Args:
        *dataset_types (str): Dataset type names as written in configs,
            without a scope prefix.

    Returns:
        Callable: The decorator.
    """

    def wrap(fn: WriterType) -> WriterType:
        for name in dataset_types:
            if name in TINY_DATASET_WRITERS:
                raise KeyError(f'a tiny writer for {name!r} is registered '
                               'already')
            TINY_DATASET_WRITERS[name] = fn
        return fn

    return wrap


def _load_writers() -> None:
    """Import every ``tiny_<family>`` module of this package once."""
    package = importlib.import_module(__package__)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith('tiny_') and info.name != 'tiny_datasets':
            importlib.import_module(f'{__package__}.{info.name}')


def make_tiny_dataset(dataset_cfg: dict, root: str) -> dict:
    """Write a tiny dataset for ``dataset_cfg`` under ``root``.

    Args:
        dataset_cfg (dict): A dataset config (``type`` plus its arguments).
        root (str): An empty folder for the data.

    Returns:
        dict: The dataset config to build (reads the tiny data).

    Raises:
        KeyError: If no writer is registered for the dataset type.
    """
    _load_writers()
    name = str(dataset_cfg['type']).split('.')[-1]
    if name not in TINY_DATASET_WRITERS:
        raise KeyError(f'no tiny-dataset writer for {name!r}: register one '
                       'in docseg_mm/testing/tiny_<family>.py')
    dataset_cfg = copy.deepcopy(dataset_cfg)
    for key in RELATIVE_KEYS:  # never write outside ``root``
        if isinstance(dataset_cfg.get(key), str):
            dataset_cfg[key] = dataset_cfg[key].lstrip('/\\')
    return TINY_DATASET_WRITERS[name](dataset_cfg, root)
