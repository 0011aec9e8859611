# Copyright (c) docseg_mm contributors. All rights reserved.
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.config import Config

from docseg_mm.apis import (find_metafile_model, inference_model,
                            init_model)
from docseg_mm.apis.inference import inference_pipeline_cfg
from .model_helpers import DEMO_DOCSAM, DEMO_MASK_RCNN, REPO


def test_find_metafile_model():
    path, weights = find_metafile_model(
        'Mask-RCNN_r50_fpn_1xb2-300k_doclaynet-random')  # case-insensitive
    assert path == osp.join(REPO, 'configs', 'selfdocseg',
                            'mask-rcnn_r50_fpn_1xb2-300k_doclaynet-random.py')
    assert weights is None
    # a config name without folder works too
    path, _ = find_metafile_model('mask-rcnn_r18_fpn_1xb4-400i_demo-doclaynet')
    assert path == DEMO_MASK_RCNN
    with pytest.raises(FileNotFoundError, match='metafile'):
        find_metafile_model('no-such-model')


def test_pipeline_without_loading_steps():
    cfg = Config.fromfile(DEMO_MASK_RCNN)
    types = [t['type'] for t in inference_pipeline_cfg(cfg)]
    assert types == ['mmdet.Resize', 'mmdet.PackDetInputs']
    # DocSAM: nested HeterogeneousDataset, annotation loading dropped
    cfg = Config.fromfile(DEMO_DOCSAM)
    types = [t['type'] for t in inference_pipeline_cfg(cfg)]
    assert types == ['RandomShortSideResize', 'mmdet.PackDetInputs']


def test_init_model_from_checkpoint_config_and_meta(mask_rcnn, tmp_path):
    config, ckpt = mask_rcnn
    state = torch.load(ckpt, weights_only=True)['state_dict']
    classes = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k']
    saved = str(tmp_path / 'with_cfg.pth')
    torch.save(dict(state_dict=state,
                    meta=dict(cfg=Config.fromfile(config).pretty_text,
                              dataset_meta=dict(classes=classes))), saved)
    model = init_model(None, saved, device='cpu')
    assert model.family == 'instance'
    assert model.dataset_meta['classes'] == classes
    got = model.state_dict()
    assert all(torch.equal(got[k], v) for k, v in state.items())
    # without meta the classes come from the config's dataset
    plain = init_model(config, ckpt, device='cpu')
    assert plain.dataset_meta['classes'][0] == 'Caption'
    sample = inference_model(plain, np.full((64, 48, 3), 255, np.uint8))
    assert 'pred_instances' in sample


class Payload:
    def __reduce__(self):
        return (print, ('unpickled!',))


def test_unsafe_checkpoints_are_refused(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict={}, hook=Payload()), path)
    with pytest.raises(pickle.UnpicklingError):
        init_model(DEMO_MASK_RCNN, path, device='cpu')
