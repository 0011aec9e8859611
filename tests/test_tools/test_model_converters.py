# Copyright (c) docseg_mm contributors. All rights reserved.
"""The converter command lines are thin: they parse arguments, call the
library in :mod:`docseg_mm.models.converters`, print its report and the
output path. The conversions themselves are tested in
``tests/test_models/test_converters/``."""
import os.path as osp
import re
import sys

import torch

from ..test_models.test_converters.docsam_sources import \
    tiny_docsam_state_dict
from ..test_models.test_converters.selfdocseg_sources import (
    encoder_shapes, random_state_dict)
from .conftest import REPO, run_tool

CONVERTERS = osp.join(REPO, 'tools', 'model_converters')


def _run(script: str, *args: str) -> str:
    return run_tool([sys.executable, osp.join(CONVERTERS, script),
                     *map(str, args)]).stdout


def test_docsam_to_docseg_cli(tmp_path):
    sd = tiny_docsam_state_dict()
    src, dst = tmp_path / 'docsam.pth', tmp_path / 'docseg.pth'
    torch.save({'model': sd}, src)
    printed = _run('docsam_to_docseg.py', src, dst, '--no-text-encoder')
    assert f'source tensors    : {len(sd)}' in printed
    assert 'pixel_level_module.fpn.inner_blocks.0.0.weight' in printed
    assert printed.rstrip().endswith(f'saved to {dst}')
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert ckpt['meta']['text_encoder'] == 'dropped'
    assert len(ckpt['docsam_unused']) == 4


def test_selfdocseg_convert_and_export_cli(tmp_path):
    shapes, _ = encoder_shapes()
    clean = random_state_dict(shapes, seed=1)
    src = tmp_path / 'encoder.pth'
    torch.save({'0.' + k: v for k, v in clean.items()}, src)
    full = tmp_path / 'backbone.pth'
    printed = _run('selfdocseg_to_docseg.py', src, full)
    assert 'source format : encoder' in printed
    assert re.search(r'-> backbone\.\*\s+318 tensors', printed)
    assert 'dropped    2 (ImageNet classifier' in printed
    assert printed.rstrip().endswith(f'saved to {full}')

    plain = tmp_path / 'plain.pth'
    printed = _run('selfdocseg_export_encoder.py', full, plain, '--plain')
    assert ('exported the online encoder (backbone.*): 318 tensors with '
            'torchvision names; 0 other tensors left out') in printed
    assert f'saved to {plain} (bare state dict)' in printed
    bare = torch.load(plain, weights_only=True)
    assert torch.equal(bare['layer2.3.conv3.weight'],
                       clean['layer2.3.conv3.weight'])


def test_dig_to_docseg_cli(tmp_path):
    """Released pretraining layout (tiny tensors, the 398 keys), with the
    pickled training arguments DiG saves next to the weights."""
    import argparse
    from ..test_models.test_converters.test_dig import pretrain_layout
    keys = list(pretrain_layout())
    sd = {k: torch.full((2, ), float(i)) for i, k in enumerate(keys)}
    src, dst = tmp_path / 'dig_pre.pth', tmp_path / 'out' / 'dig.pth'
    torch.save(dict(model=sd, epoch=9, args=argparse.Namespace(lr=6e-4)),
               src)
    printed = _run('dig_to_docseg.py', src, dst)
    assert f'{src}: DiG pretrain checkpoint' in printed
    assert 'source format : dig_pretrain' in printed
    assert 'source tensors: 398' in printed and 'dropped       : 0' in printed
    # momentum encoder: mask token, patch embedding (2), 12 blocks x 13
    n_vit = 3 + 12 * 13
    assert re.search(rf'-> target_net\.module\.0\.\*\s+{n_vit} tensors',
                     printed)
    assert 'added target_net.steps' in printed
    assert printed.rstrip().endswith(f'saved to {dst}')
    state = torch.load(dst, weights_only=True)['state_dict']
    i = keys.index('momentum_encoder.blocks.3.attn.qkv.weight')
    assert torch.equal(state['target_net.module.0.layers.3.attn.qkv.weight'],
                       torch.full((2, ), float(i)))
    assert int(state['target_net.steps']) == 1 and len(state) == 399
