# Copyright (c) docseg_mm contributors. All rights reserved.
import os.path as osp
import sys

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PROJECT = osp.join(REPO, 'projects', 'example_project')


def test_project_module_plugs_in_through_custom_imports(monkeypatch):
    monkeypatch.syspath_prepend(PROJECT)
    cfg = Config.fromfile(osp.join(
        PROJECT, 'configs',
        'mask-rcnn_dummy-r18_fpn_1xb4-400i_demo-doclaynet.py'))
    assert 'dummy' in sys.modules  # custom_imports ran while parsing
    init_default_scope('docseg_mm')
    from docseg_mm.registry import MODELS
    model = MODELS.build(cfg.model)
    assert type(model.backbone).__name__ == 'DummyResNet'
    model.eval()
    with torch.no_grad():
        model.extract_feat(torch.rand(1, 3, 64, 64))
    assert model.backbone.num_forward_calls == 1
