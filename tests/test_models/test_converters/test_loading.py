# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of the converters' safe source loader."""
import argparse

import pytest
import torch

from docseg_mm.models.converters import (UnsafeCheckpointError,
                                         get_state_dict, load_source)


def test_wrappers_and_plain_state_dicts(tmp_path):
    sd = {'a.weight': torch.ones(2)}
    for i, obj in enumerate([sd, {'state_dict': sd, 'epoch': 3},
                             {'model': sd}]):
        path = str(tmp_path / f'{i}.pth')
        torch.save(obj, path)
        got = get_state_dict(load_source(path))
        assert list(got) == ['a.weight'] and torch.equal(got['a.weight'],
                                                         sd['a.weight'])
    # 'model' is not unwrapped when only 'state_dict' is a wrapper
    nested = load_source(str(tmp_path / '2.pth'))
    with pytest.raises(TypeError, match=r"non-tensor entries.*'model'"):
        get_state_dict(nested, wrappers=('state_dict', ))


def test_refusals(tmp_path):
    path = str(tmp_path / 'list.pth')
    torch.save([torch.ones(1)], path)
    with pytest.raises(TypeError, match='expected a dict in .*list.pth'):
        load_source(path)
    path = str(tmp_path / 'namespace.pth')
    torch.save({'state_dict': {}, 'cfg': argparse.Namespace(a=1)}, path)
    with pytest.raises(UnsafeCheckpointError,
                       match=r"namespace\.pth.*argparse\.Namespace"):
        load_source(path)
    with pytest.raises(FileNotFoundError):
        load_source(str(tmp_path / 'absent.pth'))


class Payload:
    """Stands for any pickled object that is not plain data."""


def test_extra_globals_allow_known_types_only(tmp_path):
    sd = {'w': torch.ones(2)}
    path = str(tmp_path / 'args.pth')
    torch.save({'model': sd, 'args': argparse.Namespace(lr=1e-4)}, path)
    with pytest.raises(UnsafeCheckpointError, match='argparse.Namespace'):
        load_source(path)
    obj = load_source(path, extra_globals=[argparse.Namespace])
    assert obj['args'].lr == 1e-4 and torch.equal(obj['model']['w'], sd['w'])
    # an allowed type does not let anything else through; the message names
    # the refused object, not the allowed one
    bad = str(tmp_path / 'payload.pth')
    torch.save({'model': sd, 'args': argparse.Namespace(lr=1),
                'extra': Payload()}, bad)
    with pytest.raises(UnsafeCheckpointError) as err:
        load_source(bad, extra_globals=[argparse.Namespace])
    msg = str(err.value)
    assert 'besides tensors, argparse.Namespace' in msg
    refused = msg.split('does not allow: ')[1].split('. A ')[0]
    assert 'Payload' in refused and 'Namespace' not in refused
