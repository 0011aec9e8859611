# Copyright (c) docseg_mm contributors. All rights reserved.
"""Dataset wrappers: their tiny data is that of the datasets they wrap
(mmengine ``ConcatDataset`` / ``RepeatDataset`` / ``ClassBalancedDataset``,
:class:`~docseg_mm.datasets.HeterogeneousDataset`)."""
import os.path as osp

from .tiny_datasets import make_tiny_dataset, register_tiny_writer


@register_tiny_writer('HeterogeneousDataset', 'ConcatDataset')
def write_tiny_datasets(dataset_cfg: dict, root: str) -> dict:
    """One tiny dataset per entry of ``datasets``, each in its own folder
    (two entries may read the same file in different ways)."""
    dataset_cfg['datasets'] = [
        make_tiny_dataset(sub, osp.join(root, str(i)))
        for i, sub in enumerate(dataset_cfg['datasets'])
    ]
    return dataset_cfg


@register_tiny_writer('RepeatDataset', 'ClassBalancedDataset')
def write_tiny_wrapped(dataset_cfg: dict, root: str) -> dict:
    """The tiny data of the wrapped ``dataset``."""
    dataset_cfg['dataset'] = make_tiny_dataset(dataset_cfg['dataset'], root)
    return dataset_cfg
