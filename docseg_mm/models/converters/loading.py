# Copyright (c) docseg_mm contributors. All rights reserved.
"""Safe reading of the source files of a checkpoint conversion.

Every converter reads its source through :func:`load_source`, which uses
:func:`docseg_mm.utils.load_checkpoint_file` (``weights_only=True`` with the
MMEngine allow-list, plus the few extra types a source format is known to
pickle, e.g. DiG's ``argparse.Namespace`` of training arguments). A file
that pickles anything else is refused with the list of objects it holds;
safe loading is never turned off.
"""
import pickle
from typing import Any, Dict, Optional, Sequence

import torch

from docseg_mm.utils import load_checkpoint_file

#: A state dict (an ``OrderedDict`` in practice).
StateDict = Dict[str, torch.Tensor]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint pickles objects that safe loading does not allow."""


def _global_name(obj: Any) -> str:
    return f'{obj.__module__}.{obj.__qualname__}'


def _unsafe_globals(path: str, allowed: Sequence[Any] = ()) -> str:
    """The non-allow-listed globals a file references, as text."""
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception as e:  # noqa: BLE001 - only used for the message
        return f'(could not list them: {type(e).__name__}: {e})'
    return str(sorted(set(names) - {_global_name(g) for g in allowed}))


def load_source(path: str,
                extra_globals: Optional[Sequence[Any]] = None
                ) -> Dict[str, Any]:
    """Load a source checkpoint with the allow-listing safe loader.

    Args:
        path (str): The ``.pth`` / ``.ckpt`` file.
        extra_globals (Sequence, optional): Types the source format is known
            to pickle besides tensors (e.g. ``argparse.Namespace``), allowed
            on top of the MMEngine allow-list. Only plain data types belong
            here. Defaults to None.

    Returns:
        dict: The loaded object.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        UnsafeCheckpointError: If the file pickles objects besides tensors,
            the allow-listed MMEngine types and ``extra_globals``; the
            message names them.
        TypeError: If the file does not hold a dict.
    """
    extra = list(extra_globals or [])
    try:
        obj = load_checkpoint_file(path, map_location='cpu',
                                   extra_globals=extra)
    except pickle.UnpicklingError:
        allowed = ''.join(f', {_global_name(g)}' for g in extra)
        raise UnsafeCheckpointError(
            f'{path} is refused: besides tensors{allowed} it references '
            'Python objects (pickle globals) that safe loading does not '
            f'allow: {_unsafe_globals(path, extra)}. A '
            'Lightning .ckpt may keep hyper-parameters or callback states '
            'as Python objects. Only the weights are needed: save the state '
            'dict alone (a dict of tensors) where the file was written and '
            'convert that file.') from None
    if not isinstance(obj, dict):
        raise TypeError(f'expected a dict in {path}, got {type(obj)}')
    return obj


def get_state_dict(obj: Dict[str, Any],
                   wrappers: Sequence[str] = ('state_dict', 'model')
                   ) -> StateDict:
    """The state dict of a loaded checkpoint.

    Args:
        obj (dict): What :func:`load_source` returned.
        wrappers (Sequence[str]): Keys that may wrap the state dict; the
            first one holding a dict is used, else ``obj`` itself. Defaults
            to ``('state_dict', 'model')``.

    Returns:
        dict: The state dict.

    Raises:
        TypeError: If ``obj`` is not a dict or the state dict holds
            something else than tensors.
    """
    if not isinstance(obj, dict):
        raise TypeError(f'expected a dict in the checkpoint, got {type(obj)}')
    for wrapper in wrappers:
        if isinstance(obj.get(wrapper), dict):
            obj = obj[wrapper]
            break
    bad = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise TypeError(f'non-tensor entries in the state dict: {bad[:5]}')
    return obj
