# Copyright (c) docseg_mm contributors. All rights reserved.
"""Safe loading of MMEngine checkpoints with torch >= 2.6.

torch >= 2.6 loads checkpoints with ``weights_only=True``. MMEngine 0.10.7
checkpoints also hold the message hub's ``HistoryBuffer`` objects (with numpy
arrays inside), so ``--resume`` dies with ``Unsupported global``. Instead of
turning safe loading off, the local loader is replaced by one that keeps
``weights_only=True`` and allow-lists exactly the types an MMEngine checkpoint
holds. Anything else pickled in a file is still refused.
"""
import os.path as osp
import pickle
from typing import Any, List, Optional, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


def _numpy_globals() -> List[Any]:
    """Numpy objects that a pickled ndarray or numpy scalar refers to."""
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(t)) for t in np.typecodes['All'] if t]
    return [np.ndarray, np.dtype, _reconstruct, scalar, *dtype_classes]


_BUILTIN_STATISTICS = frozenset(('min', 'max', 'current', 'mean'))


def _history_buffer_method(obj: Any, name: str) -> Any:
    """Stand-in for ``builtins.getattr`` while unpickling.

    ``torch.save`` pickles with protocol 2, which stores the statistics
    methods a ``HistoryBuffer`` keeps (``HistoryBuffer.mean`` etc.) as
    ``getattr(HistoryBuffer, 'mean')``. Only that exact lookup is allowed.
    """
    # The four built-in statistics are registered lazily (in the first
    # ``HistoryBuffer.__init__``), custom ones with ``register_statistics``.
    allowed = _BUILTIN_STATISTICS.union(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint')


#: Globals that a checkpoint saved by MMEngine's Runner may reference.
MMENGINE_CHECKPOINT_GLOBALS: List[Any] = [
    HistoryBuffer, (_history_buffer_method, 'builtins.getattr'),
    *_numpy_globals()
]


def load_checkpoint_file(filename: str,
                         map_location: Optional[Union[str, torch.device]] = None,
                         extra_globals: Optional[List[Any]] = None) -> Any:
    """Load a checkpoint file with ``weights_only=True``.

    Args:
        filename (str): Path of the checkpoint.
        map_location (str | torch.device, optional): Passed to
            :func:`torch.load`. Defaults to None.
        extra_globals (list, optional): More types to allow besides
            :data:`MMENGINE_CHECKPOINT_GLOBALS`. Defaults to None.

    Returns:
        Any: The loaded object.

    Raises:
        FileNotFoundError: If ``filename`` does not exist.
        pickle.UnpicklingError: If the file references a global that is not
            allow-listed (e.g. an arbitrary pickled object).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    allowed = MMENGINE_CHECKPOINT_GLOBALS + list(extra_globals or [])
    with torch.serialization.safe_globals(allowed):
        return torch.load(filename, map_location=map_location,
                          weights_only=True)


def _load_from_local(filename: str, map_location=None) -> Any:
    return load_checkpoint_file(filename, map_location=map_location)


def register_safe_checkpoint_loader() -> None:
    """Make MMEngine's local-file loader (``load_from``, ``--resume``,
    ``init_cfg=dict(type='Pretrained')``) use :func:`load_checkpoint_file`."""
    CheckpointLoader.register_scheme(prefixes='', loader=_load_from_local,
                                     force=True)
