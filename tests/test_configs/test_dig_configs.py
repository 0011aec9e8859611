# Copyright (c) docseg_mm contributors. All rights reserved.
"""Every config under configs/dig: built, its own pipelines run on tiny data
in its format, one training step and (recognisers) one prediction, with the
ViT-S models shrunk through config overrides."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from docseg_mm.registry import MODELS
from docseg_mm.testing import make_tiny_dataset

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'dig', '**', '*.py'),
                           recursive=True))
TINY_ARCH = dict(_delete_=True, embed_dims=32, num_layers=1, num_heads=2,
                 feedforward_channels=64)


def shrink(cfg: Config) -> None:
    """Shrink ViT-S / 4096-wide heads; keep every other setting."""
    m = cfg.model
    if m.backbone.get('arch') == 'small':
        m.backbone.arch = dict(TINY_ARCH)
        m.backbone.pop('init_cfg', None)
        width = 32
    else:
        width = m.backbone.arch['embed_dims']
        m.backbone.init_cfg = None
    if m.type == 'EncoderDecoderRecognizer':
        m.neck.update(in_channels=width, out_channels=32)
        m.decoder.update(n_layers=1, d_embedding=32, n_head=2, d_k=16,
                         d_v=16, d_model=32, d_inner=32, max_seq_len=8)
        return
    for key in ('neck', 'pix_projector'):
        if key in m and m[key].get('in_channels') == 384:
            m[key].update(in_channels=32, hid_channels=64)
            if key == 'pix_projector':
                m[key].out_channels = 32
    if m.neck.get('out_channels') == 256:
        m.neck.out_channels = 16
        m.head.predictor.update(in_channels=16, hid_channels=32,
                                out_channels=16)
    if 'pix_decoder' in m and m.pix_decoder.in_channels == 384:
        m.pix_decoder.in_channels = 32


def tiny_loader(cfg: Config, key: str, root: str) -> dict:
    loader = copy.deepcopy(cfg[key])
    loader.dataset = make_tiny_dataset(loader.dataset, root)
    loader.update(batch_size=2, num_workers=0, persistent_workers=False)
    if loader.sampler.type == 'InfiniteSampler':
        loader.sampler.type = 'DefaultSampler'
    return loader


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.basename(p) for p in CONFIGS])
def test_dig_config(path, tmp_path):
    init_default_scope('docseg_mm')
    cfg = Config.fromfile(path)
    shrink(cfg)
    model = MODELS.build(cfg.model)
    model.init_weights()
    MessageHub.get_current_instance().update_info('max_iters', 10)

    train = Runner.build_dataloader(
        tiny_loader(cfg, 'train_dataloader', str(tmp_path / 'train')))
    batch = next(iter(train))
    optim = copy.deepcopy(cfg.optim_wrapper)
    optim.type = 'OptimWrapper'  # AMP needs a GPU
    optim_wrapper = build_optim_wrapper(model, optim)
    before = [p.detach().clone() for p in model.parameters()
              if p.requires_grad]
    model.train()
    losses = model.train_step(batch, optim_wrapper)
    assert all(torch.isfinite(v) for v in losses.values())
    after = [p for p in model.parameters() if p.requires_grad]
    assert any(not torch.equal(a, b) for a, b in zip(after, before))

    if cfg.model.type != 'EncoderDecoderRecognizer':
        assert set(losses) >= {'loss'}
        return
    assert cfg.optim_wrapper.get('constructor') == \
        'mmpretrain.LearningRateDecayOptimWrapperConstructor'
    # DiG's layer decay: patch embedding decay^(L+1), block k decay^(L-k),
    # neck/decoder 1 (L = 1 block in the shrunk model)
    rate = cfg.optim_wrapper.paramwise_cfg.layer_decay_rate
    scales = {g['param_name']: g['lr_scale']
              for g in optim_wrapper.optimizer.param_groups}
    assert scales['backbone.patch_embed.projection.weight'] == rate**2
    assert scales['backbone.mask_token'] == rate**2
    assert scales['backbone.layers.0.attn.qkv.weight'] == rate
    assert scales['decoder.classifier.weight'] == 1.0
    for key in ('val_dataloader', 'test_dataloader'):
        loader = Runner.build_dataloader(
            tiny_loader(cfg, key, str(tmp_path / key)))
        model.eval()
        batch = next(iter(loader))
        preds = model.test_step(batch)
        assert len(preds) == 2
        assert all(isinstance(p.pred_text.item, str) for p in preds)
        assert preds[0].gt_text.item in ('ab', 'Cd1', 'xyz', 'Q!')
        assert preds[0].dataset_name


def test_demo_pretraining_checkpoint_initialises_the_recognizer(tmp_path):
    """The demo chain: every encoder tensor of a DiG checkpoint reaches the
    recogniser (the final LayerNorm, absent in pretraining, stays 1/0)."""
    init_default_scope('docseg_mm')
    pre = MODELS.build(Config.fromfile(osp.join(
        REPO, 'configs', 'dig',
        'dig_vit-demo-p8_1xb32-300i_demo-words.py')).model)
    pre.init_weights()
    ckpt = str(tmp_path / 'iter_300.pth')
    torch.save(dict(state_dict=pre.state_dict()), ckpt)
    cfg = Config.fromfile(osp.join(
        REPO, 'configs', 'dig',
        'dig-recog_vit-demo-p8_1xb32-800i_demo-words.py'))
    cfg.model.backbone.init_cfg.checkpoint = ckpt
    rec = MODELS.build(cfg.model)
    rec.init_weights()
    own = rec.backbone.state_dict()
    for key, value in pre.backbone.state_dict().items():
        assert torch.equal(own[key], value), key
    assert set(own) - set(pre.backbone.state_dict()) == {'ln1.weight',
                                                         'ln1.bias'}
