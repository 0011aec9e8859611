# Copyright (c) docseg_mm contributors. All rights reserved.
"""Helpers of the config test: where a config's datasets are, its tiny
dataloaders, and static checks of its pipelines."""
import copy
import os.path as osp
from typing import Any, Iterator, List, Tuple

from mmengine.config import Config

from .tiny_datasets import make_tiny_dataset

#: Wrappers that build a resize inside; under the ``docseg_mm`` scope a bare
#: ``resize_type='Resize'`` finds mmcv's box-unaware ``Resize``.
RESIZE_WRAPPERS = ('RandomChoiceResize', 'RandomResize')
#: Hook arguments that hold dataloader configs.
HOOK_LOADER_KEYS = ('dataloader', 'bank_dataloader', 'query_dataloader')


def _walk(obj: Any, path: str = '') -> Iterator[Tuple[str, dict]]:
    """Every dict of a config tree with its dotted path."""
    if isinstance(obj, dict):
        yield path, obj
        for key, value in obj.items():
            yield from _walk(value, f'{path}.{key}' if path else str(key))
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _walk(value, f'{path}[{i}]')


def find_scope_traps(cfg: Config) -> List[str]:
    """Resize wrappers of the config that would build mmcv's ``Resize``.

    ``mmdet.RandomChoiceResize`` / ``RandomResize`` (and mmseg's / mmcv's)
    build their ``resize_type`` (default ``'Resize'``) in the default
    scope; under ``docseg_mm`` that is mmcv's ``Resize``, which breaks on
    mmdet boxes and masks. Such a wrapper needs a prefixed
    ``resize_type`` unless the config's default scope is a codebase whose
    own ``Resize`` is meant.

    Args:
        cfg (Config): The config.

    Returns:
        list[str]: One message per trap (path and fix).
    """
    scope = cfg.get('default_scope', 'docseg_mm')
    traps = []
    for path, node in _walk(cfg.to_dict()):
        kind = str(node.get('type', ''))
        if kind.split('.')[-1] not in RESIZE_WRAPPERS:
            continue
        resize = str(node.get('resize_type', 'Resize'))
        owner = kind.split('.')[0] if '.' in kind else scope
        if '.' not in resize and scope not in ('mmdet', 'mmseg', 'mmpretrain'):
            traps.append(
                f'{path}: {kind} builds resize_type={resize!r} in the '
                f'{scope!r} scope (mmcv\'s box-unaware Resize); set '
                f"resize_type='{owner if owner != scope else 'mmdet'}."
                "Resize'")
    return traps


def dataloaders(cfg: Config) -> List[Tuple[str, dict]]:
    """``(name, dataloader config)`` of the runner and of custom hooks.

    Args:
        cfg (Config): The config.

    Returns:
        list[tuple[str, dict]]: ``train_dataloader``, ``val_dataloader``,
        ``test_dataloader`` (when set) and hook loaders such as
        ``custom_hooks[0].bank_dataloader``, as plain dicts.
    """
    out = []
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key):
            out.append((key, cfg[key].to_dict()))
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        for key in HOOK_LOADER_KEYS:
            if isinstance(hook.get(key), dict):
                out.append((f'custom_hooks[{i}].{key}',
                            copy.deepcopy(dict(hook[key]))))
    return out


def tiny_dataloader(loader: dict, root: str, batch_size: int) -> dict:
    """A dataloader config on tiny data in the config's format.

    The dataset (wrappers included) is written under ``root``; sampler,
    batch sampler and collate function stay the config's own.

    Args:
        loader (dict): A dataloader config.
        root (str): An empty folder for the data.
        batch_size (int): Batch size to use.

    Returns:
        dict: The dataloader config for ``Runner.build_dataloader``.
    """
    loader = copy.deepcopy(loader)
    loader['dataset'] = make_tiny_dataset(loader['dataset'], root)
    loader.update(batch_size=batch_size, num_workers=0,
                  persistent_workers=False)
    loader.pop('prefetch_factor', None)
    return loader


def strip_pretrained(model: dict) -> dict:
    """Drop checkpoint loading (``Pretrained`` init configs, ``pretrained``)
    from a model config: no weights can be read in tests."""
    for _, node in _walk(model):
        init = node.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            node['init_cfg'] = None
        elif isinstance(init, list):
            node['init_cfg'] = [
                c for c in init
                if not (isinstance(c, dict) and c.get('type') == 'Pretrained')
            ] or None
        if isinstance(node.get('pretrained'), str):
            node['pretrained'] = None
    return model


def config_files(root: str) -> List[str]:
    """Every config under ``root/configs`` except the ``_base_`` parts.

    Args:
        root (str): Repository root.

    Returns:
        list[str]: Sorted paths.
    """
    import glob
    found = glob.glob(osp.join(root, 'configs', '**', '*.py'), recursive=True)
    return sorted(p for p in found
                  if '_base_' not in osp.relpath(p, root).split(osp.sep))
