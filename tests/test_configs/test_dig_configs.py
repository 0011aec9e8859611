# Copyright (c) docseg_mm contributors. All rights reserved.
"""The DiG demo chain: a pretraining checkpoint initialises the recogniser
(every DiG config is built and stepped by ``test_configs.py``)."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from docseg_mm.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_demo_pretraining_checkpoint_initialises_the_recognizer(tmp_path):
    """The demo chain: every encoder tensor of a DiG checkpoint reaches the
    recogniser (the final LayerNorm, absent in pretraining, stays 1/0)."""
    init_default_scope('docseg_mm')
    pre = MODELS.build(Config.fromfile(osp.join(
        REPO, 'configs', 'dig',
        'dig_vit-demo-p32x4_1xb32-400i_rendered-words.py')).model)
    pre.init_weights()
    ckpt = str(tmp_path / 'iter_400.pth')
    torch.save(dict(state_dict=pre.state_dict()), ckpt)
    cfg = Config.fromfile(osp.join(
        REPO, 'configs', 'dig',
        'dig-recog_vit-demo-p32x4_1xb32-2500i_rendered-words.py'))
    cfg.model.backbone.init_cfg.checkpoint = ckpt
    rec = MODELS.build(cfg.model)
    rec.init_weights()
    own = rec.backbone.state_dict()
    for key, value in pre.backbone.state_dict().items():
        assert torch.equal(own[key], value), key
    assert set(own) - set(pre.backbone.state_dict()) == {'ln1.weight',
                                                         'ln1.bias'}
