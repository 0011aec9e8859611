# Copyright (c) docseg_mm contributors. All rights reserved.
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import CheckpointLoader

import docseg_mm  # noqa: F401  (registers the safe loader)
from docseg_mm.utils import load_checkpoint_file


class Payload:
    """An arbitrary class a malicious checkpoint could carry."""

    def __reduce__(self):
        return (print, ('executed!', ))


def runner_like_checkpoint() -> dict:
    hub = MessageHub('test_ckpt_compat')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/loss', np.float64(0.25))
    hub.update_info('iter', 7)
    return dict(
        meta=dict(iter=7, epoch=0, seed=np.int64(3),
                  dataset_meta=dict(classes=('Text', 'Title'))),
        state_dict={'w': torch.arange(4.)},
        message_hub=hub.state_dict(),
        optimizer={'state': {}, 'param_groups': [{'lr': 0.1, 'params': [0]}]},
        param_schedulers=[{'last_step': 7, 'base_values': [0.1]}])


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    path = str(tmp_path / 'iter_7.pth')
    ckpt = runner_like_checkpoint()
    torch.save(ckpt, path)
    # Plain torch.load (weights_only=True by default) refuses the file ...
    with pytest.raises(pickle.UnpicklingError, match='Unsupported global'):
        torch.load(path)
    # ... while the allow-listed loader restores every value.
    out = load_checkpoint_file(path)
    buf = out['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.mean() == pytest.approx(0.375)
    assert out['meta']['seed'] == 3
    assert torch.equal(out['state_dict']['w'], torch.arange(4.))
    # MMEngine's own entry point (used by resume and load_from) goes through it.
    out2 = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert out2['message_hub']['runtime_info']['iter'] == 7


def test_arbitrary_object_is_refused(tmp_path, capsys):
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'x': Payload()}, path)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint_file(path)
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(path)
    assert 'executed!' not in capsys.readouterr().out


def test_missing_file_names_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint_file(str(tmp_path / 'nope.pth'))


class SneakyGetattr:
    """Pickles as ``getattr(HistoryBuffer, 'update')``: not a statistic."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, 'update'))


def test_getattr_only_resolves_history_buffer_statistics(tmp_path):
    path = str(tmp_path / 'sneaky.pth')
    torch.save({'x': SneakyGetattr()}, path)
    with pytest.raises(pickle.UnpicklingError, match='update'):
        load_checkpoint_file(path)


def test_fresh_process_loads_checkpoint(tmp_path):
    """HistoryBuffer registers its statistics lazily: a process that never
    made one (``tools/test.py``) must still load a training checkpoint."""
    import subprocess
    import sys
    path = str(tmp_path / 'iter_7.pth')
    torch.save(runner_like_checkpoint(), path)
    code = ('import sys, docseg_mm\n'
            'from mmengine.runner import CheckpointLoader\n'
            'ckpt = CheckpointLoader.load_checkpoint(sys.argv[1])\n'
            "print(ckpt['message_hub']['log_scalars']['train/loss'].mean())")
    out = subprocess.run([sys.executable, '-c', code, path], check=True,
                         capture_output=True, text=True).stdout
    assert float(out.strip().splitlines()[-1]) == pytest.approx(0.375)
