# Copyright (c) docseg_mm contributors. All rights reserved.
"""A hand-weighted "ink" segmentor for end-to-end coordinate tests.

A real mmseg ``EncoderDecoder`` + ``FCNHead`` (no hidden layer): the
backbone hands the normalised image (0..1) to the head, whose 1x1
classifier is set by :func:`write_ink_segmentor` so that a pixel darker
than ``INK_THRESHOLD`` (mean over channels) is class 1 (``ink``), else
background. A drawn block therefore comes back as one region exactly where
it was drawn, which checks the page -> pixels -> PDF points path without
depending on a trained model's quality.
"""
import os.path as osp

import torch
from torch import nn

from docseg_mm.registry import MODELS

INK_THRESHOLD = 0.9
INK_CLASSES = ('background', 'ink')

CONFIG = '''
custom_imports = dict(imports=['tests.test_apis.ink_segmentor'],
                      allow_failed_imports=False)
default_scope = 'docseg_mm'
model = dict(
    type='mmseg.EncoderDecoder',
    data_preprocessor=dict(type='mmseg.SegDataPreProcessor',
                           mean=[0., 0., 0.], std=[255., 255., 255.],
                           bgr_to_rgb=False, pad_val=255, seg_pad_val=255),
    backbone=dict(type='docseg_mm.InkIdentityBackbone'),
    decode_head=dict(type='mmseg.FCNHead', in_channels=3, channels=3,
                     num_convs=0, concat_input=False, kernel_size=1,
                     num_classes=2, dropout_ratio=0., norm_cfg=None,
                     align_corners=False,
                     loss_decode=dict(type='mmseg.CrossEntropyLoss')),
    test_cfg=dict(mode='whole'))
test_pipeline = [dict(type='LoadDocImageFromFile'),
                 dict(type='mmseg.PackSegInputs')]
test_dataloader = dict(
    batch_size=1,
    dataset=dict(type='mmseg.BaseSegDataset',
                 metainfo=dict(classes={classes!r},
                               palette=[[255, 255, 255], [220, 20, 60]]),
                 pipeline=test_pipeline))
'''


@MODELS.register_module()
class InkIdentityBackbone(nn.Module):
    """Returns the input image as the only feature map."""

    def forward(self, x):
        return [x]


def write_ink_segmentor(folder: str, gain: float = 50.):
    """Write the config and checkpoint; return their paths."""
    from mmengine.config import Config
    from docseg_mm.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    cfg_path = osp.join(folder, 'ink_segmentor.py')
    with open(cfg_path, 'w') as f:
        f.write(CONFIG.format(classes=INK_CLASSES))
    model = MODELS.build(Config.fromfile(cfg_path).model)
    state = model.state_dict()
    weight = torch.zeros_like(state['decode_head.conv_seg.weight'])
    weight[1] = -gain / 3
    bias = torch.tensor([0., gain * INK_THRESHOLD])
    state['decode_head.conv_seg.weight'] = weight
    state['decode_head.conv_seg.bias'] = bias
    ckpt = osp.join(folder, 'ink_segmentor.pth')
    torch.save(dict(state_dict=state,
                    meta=dict(dataset_meta=dict(classes=list(INK_CLASSES)))),
               ckpt)
    return cfg_path, ckpt
