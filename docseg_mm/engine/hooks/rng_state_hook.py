# Copyright (c) docseg_mm contributors. All rights reserved.
"""Random number generator states in checkpoints, for exact resumption."""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook

from docseg_mm.registry import HOOKS


def get_rng_state() -> dict:
    """The global torch (CPU and CUDA), numpy and Python RNG states as
    tensors and plain numbers (loadable with ``weights_only=True``).

    Returns:
        dict: ``torch``, ``cuda`` (list, empty without CUDA), ``numpy``
        (``keys``, ``pos``, ``has_gauss``, ``gauss``) and ``python``
        (``version``, ``state``).
    """
    _, keys, pos, has_gauss, gauss = np.random.get_state()
    version, state, _ = random.getstate()
    return dict(
        torch=torch.get_rng_state(),
        cuda=torch.cuda.get_rng_state_all()
        if torch.cuda.is_available() else [],
        numpy=dict(keys=torch.from_numpy(keys.astype(np.int64)),
                   pos=int(pos), has_gauss=int(has_gauss),
                   gauss=float(gauss)),
        python=dict(version=int(version),
                    state=torch.tensor(state, dtype=torch.int64)))


def set_rng_state(state: dict) -> None:
    """Restore what :func:`get_rng_state` returned.

    Args:
        state (dict): The saved states.
    """
    torch.set_rng_state(state['torch'])
    if state.get('cuda') and torch.cuda.is_available() and \
            len(state['cuda']) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state['cuda'])
    np_state = state['numpy']
    np.random.set_state(('MT19937', np_state['keys'].numpy().astype(
        np.uint32), np_state['pos'], np_state['has_gauss'],
        np_state['gauss']))
    py = state['python']
    random.setstate((py['version'], tuple(int(v) for v in py['state']),
                     None))


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the RNG states in every checkpoint and restore them on resume.

    mmengine resumes model, optimizer, schedulers, iteration and (by
    advancing the dataloader) the data order, but restarts the global RNGs
    from the seed, so whatever draws random numbers in the model (RPN / RoI
    samplers, dropout, drop path) draws other numbers after a resume than
    the uninterrupted run did. This hook stores the states when a
    checkpoint is saved (after the iteration the checkpoint ends) and sets
    them back before the first iteration after a resume (after mmengine
    has replayed the dataloader; a checkpoint loaded with ``load_from``
    starts at another iteration and is left alone). With
    ``randomness=dict(seed=..., deterministic=True)`` and data
    augmentations that do not draw from the main process's global RNGs
    while the dataloader is replayed (``num_workers > 0`` seeds workers
    from the sampler seed; ``num_workers=0`` pipelines without random
    transforms), a killed and resumed run ends with the same weights as an
    uninterrupted one.

    Checkpoints are written by rank 0, so in distributed runs every rank is
    restored with rank 0's states.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._pending: Optional[tuple] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store the RNG states in ``checkpoint['rng_state']``."""
        checkpoint['rng_state'] = get_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the saved states until training continues."""
        state = checkpoint.get('rng_state')
        meta = checkpoint.get('meta') or {}
        self._pending = None if state is None else (meta.get('iter'), state)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        """Restore the states before the first iteration after resuming."""
        if self._pending is not None:
            saved_iter, state = self._pending
            if saved_iter == runner.iter:  # resumed, not load_from
                set_rng_state(state)
            self._pending = None
