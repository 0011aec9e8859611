# Copyright (c) docseg_mm contributors. All rights reserved.
"""Synthetic SelfDocSeg / torchvision sources for the converter tests.

The source state dicts are synthetic (random tensors) but have exactly the
keys and shapes of the original checkpoints: they are read from the key dumps
in ``tests/data/checkpoint_keys/``, or, where that folder is absent,
generated from a re-built original module topology (torchvision ResNet-50 +
lightly-style BYOL heads).
"""
import copy
import os.path as osp
from collections import OrderedDict
from typing import Dict, Tuple

import torch
import torch.nn as nn

from docseg_mm.models.converters.torchvision_resnet import SEQ_TO_TORCHVISION
from .docsam_sources import KEY_DIR, read_key_file

LIGHTNING_KEY_FILE = osp.join(KEY_DIR,
                              'selfdocseg_lightning_state_dict_keys.txt')
ENCODER_KEY_FILE = osp.join(
    KEY_DIR, 'selfdocseg_extracted_torchvision_resnet50_keys.txt')

Shapes = Dict[str, Tuple[int, ...]]

TV_TO_SEQ = {v: k for k, v in SEQ_TO_TORCHVISION.items()}


class _LightlyHead(nn.Module):
    """lightly 1.2.35 BYOL projection / prediction head."""

    def __init__(self, in_ch: int, hid_ch: int, out_ch: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(in_ch, hid_ch, bias=False), nn.BatchNorm1d(hid_ch),
            nn.ReLU(), nn.Linear(hid_ch, out_ch))


class _OriginalSelfDocSeg(nn.Module):
    """Tensor layout of ``SelfDocSeg(BenchmarkModule)`` of train_ssl.py."""

    def __init__(self) -> None:
        import torchvision
        super().__init__()
        self.dummy_param = nn.Parameter(torch.empty(0))
        resnet = torchvision.models.resnet50(weights=None)
        self.bb_feat = nn.Sequential(*list(resnet.children())[:-2],
                                     nn.Upsample(scale_factor=4))
        self.bb_vec = nn.Sequential(
            nn.AdaptiveAvgPool2d((1, 1)), nn.AdaptiveAvgPool2d(1))
        self.backbone = nn.Sequential(self.bb_feat, self.bb_vec)
        self.projection_head = _LightlyHead(2048, 4096, 256)
        self.prediction_head = _LightlyHead(256, 4096, 256)
        self.mask_localizer = nn.Sequential(
            nn.Conv2d(4096, 1, kernel_size=1), nn.Sigmoid())
        self.bb_feat_momentum = copy.deepcopy(self.bb_feat)
        self.bb_vec_momentum = copy.deepcopy(self.bb_vec)
        self.projection_head_momentum = copy.deepcopy(self.projection_head)


def rebuilt_lightning_shapes() -> Shapes:
    with torch.device('meta'):
        sd = _OriginalSelfDocSeg().state_dict(keep_vars=False)
    return OrderedDict((k, tuple(v.shape)) for k, v in sd.items())


def rebuilt_encoder_shapes() -> Shapes:
    import torchvision
    with torch.device('meta'):
        sd = torchvision.models.resnet50(weights=None).state_dict()
    return OrderedDict((k, tuple(v.shape)) for k, v in sd.items())


def lightning_shapes() -> Tuple[Shapes, str]:
    if osp.isfile(LIGHTNING_KEY_FILE):
        return read_key_file(LIGHTNING_KEY_FILE), 'key file'
    return rebuilt_lightning_shapes(), 'rebuilt torchvision topology'


def encoder_shapes() -> Tuple[Shapes, str]:
    if osp.isfile(ENCODER_KEY_FILE):
        return read_key_file(ENCODER_KEY_FILE), 'key file'
    return rebuilt_encoder_shapes(), 'rebuilt torchvision resnet50'


def random_state_dict(shapes: Shapes, seed: int) -> Dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    sd: Dict[str, torch.Tensor] = OrderedDict()
    for name, shape in shapes.items():
        if name.endswith('num_batches_tracked'):
            sd[name] = torch.randint(1, 10**6, shape, generator=gen)
        else:
            sd[name] = torch.randn(shape, generator=gen)
    return sd


def to_seq(tv_name: str) -> str:
    head, _, rest = tv_name.partition('.')
    return f'{TV_TO_SEQ[head]}.{rest}'


def encoder_forms(clean: Dict[str, torch.Tensor]) -> Dict[str, dict]:
    body = {k: v for k, v in clean.items() if not k.startswith('fc.')}
    return {
        'clean': clean,
        'stray 0. + sequential': {'0.' + to_seq(k): v
                                  for k, v in body.items()},
        'stray 0. + torchvision': {'0.' + k: v for k, v in clean.items()},
        'sequential': {to_seq(k): v for k, v in body.items()},
    }


def shapes_of(sd: Dict[str, torch.Tensor]) -> Dict[str, tuple]:
    return {k: tuple(v.shape) for k, v in sd.items()}
