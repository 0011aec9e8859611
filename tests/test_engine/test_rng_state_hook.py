# Copyright (c) docseg_mm contributors. All rights reserved.
import random
from types import SimpleNamespace

import numpy as np
import torch

from docseg_mm.engine.hooks import RNGStateHook, get_rng_state


def _draw():
    return (torch.rand(3).tolist(), np.random.rand(3).tolist(),
            [random.random() for _ in range(3)])


def test_state_survives_a_weights_only_checkpoint(tmp_path):
    hook = RNGStateHook()
    torch.manual_seed(3), np.random.seed(3), random.seed(3)
    _draw()
    ckpt = dict(meta=dict(iter=4))
    hook.before_save_checkpoint(None, ckpt)
    expected = _draw()  # what the uninterrupted run draws next
    torch.save(ckpt, tmp_path / 'c.pth')
    loaded = torch.load(tmp_path / 'c.pth', weights_only=True)

    torch.manual_seed(0), np.random.seed(0), random.seed(0)  # a new process
    hook.after_load_checkpoint(None, loaded)
    hook.before_train_iter(SimpleNamespace(iter=4), 0)
    assert _draw() == expected
    # applied once only
    hook.before_train_iter(SimpleNamespace(iter=5), 1)
    assert _draw() != expected


def test_load_from_does_not_restore():
    hook = RNGStateHook()
    torch.manual_seed(3)
    ckpt = dict(meta=dict(iter=400), rng_state=get_rng_state())
    saved_next = torch.rand(3)
    torch.manual_seed(0)
    hook.after_load_checkpoint(None, ckpt)
    hook.before_train_iter(SimpleNamespace(iter=0), 0)  # fine-tuning start
    assert not torch.equal(torch.rand(3), saved_next)
