# Copyright (c) docseg_mm contributors. All rights reserved.
import math
import os.path as osp
import tempfile

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from docseg_mm.datasets.transforms import RandomPatchMask
from docseg_mm.models.utils import window_pool
from docseg_mm.registry import MODELS
from ...multiprocess import run_workers

T = 0.2


def mlp(cin, hid, cout, layers):
    return dict(type='mmpretrain.NonLinearNeck', in_channels=cin,
                hid_channels=hid, out_channels=cout, num_layers=layers,
                with_bias=False, with_last_bn=True, with_last_bn_affine=False,
                with_last_bias=False, with_avg_pool=False,
                norm_cfg=dict(type='BN1d'))


def contrast_head_cfg(dim=8):
    return dict(type='DiGContrastHead', predictor=mlp(dim, 16, dim, 2),
                loss=dict(type='mmpretrain.CrossEntropyLoss',
                          loss_weight=2 * T), temperature=T)


def tiny_dig():
    init_default_scope('docseg_mm')
    return MODELS.build(dict(
        type='DiG',
        backbone=dict(type='DiGViT', arch=dict(
            embed_dims=16, num_layers=1, num_heads=2,
            feedforward_channels=32)),
        neck=mlp(16, 32, 8, 3), head=contrast_head_cfg(8),
        pix_projector=mlp(16, 24, 16, 3),
        pix_decoder=dict(type='DiGPixelDecoder', in_channels=16,
                         hid_channels=8),
        mim_head=dict(type='DiGMIMHead')))


def test_random_patch_mask_ratio():
    t = RandomPatchMask(input_size=(8, 32), mask_ratio=0.7)
    masks = [t({})['mask'] for _ in range(20)]
    assert all(m.shape == (8, 32) and m.sum() == 179 for m in masks)
    # uniform: every patch gets masked sometimes, masks differ
    assert (np.stack(masks).sum(0) > 0).mean() > 0.95
    assert len({m.tobytes() for m in masks}) == 20


def test_mim_target_on_hand_built_image():
    init_default_scope('docseg_mm')
    head = MODELS.build(dict(type='DiGMIMHead', patch_size=4))
    # pixel value in [0, 1] encodes (c, y, x); normalised with mean=std=.5
    c, y, x = np.meshgrid(np.arange(3), np.arange(32), np.arange(128),
                          indexing='ij')
    value = (c * 32 * 128 + y * 128 + x) / (3 * 32 * 128)
    img = torch.from_numpy((value - 0.5) / 0.5).float()[None]
    target = head.construct_target(img)
    assert target.shape == (1, 256, 48)
    for n, p1, p2, ch in [(0, 0, 0, 0), (33, 2, 3, 1), (255, 3, 3, 2),
                          (40, 1, 0, 2)]:
        gy, gx = divmod(n, 32)
        expect = value[ch, gy * 4 + p1, gx * 4 + p2]
        got = target[0, n, (p1 * 4 + p2) * 3 + ch].item()
        assert got == pytest.approx(expect, abs=1e-6)
    # loss only on the masked patches: MSE mean over their values
    mask = torch.zeros(1, 256, dtype=torch.bool)
    mask[0, [3, 100, 200]] = True
    pred = target[mask].clone()
    assert head.loss(pred, img, mask).item() == pytest.approx(0, abs=1e-9)
    pred[1, :6] += 0.5
    expect = 6 * 0.25 / (3 * 48)
    assert head.loss(pred, img, mask).item() == pytest.approx(expect)


def test_mim_target_rectangular_patches():
    """(32, 4) patches (one row of column strips): patch n holds columns
    4n..4n+3 of all 32 rows in (p1 p2 c) order."""
    init_default_scope('docseg_mm')
    head = MODELS.build(dict(type='DiGMIMHead', patch_size=(32, 4)))
    c, y, x = np.meshgrid(np.arange(3), np.arange(32), np.arange(128),
                          indexing='ij')
    value = (c * 32 * 128 + y * 128 + x) / (3 * 32 * 128)
    img = torch.from_numpy((value - 0.5) / 0.5).float()[None]
    target = head.construct_target(img)
    assert target.shape == (1, 32, 32 * 4 * 3)
    for n, p1, p2, ch in [(0, 0, 0, 0), (5, 17, 3, 1), (31, 31, 2, 2)]:
        expect = value[ch, p1, n * 4 + p2]
        got = target[0, n, (p1 * 4 + p2) * 3 + ch].item()
        assert got == pytest.approx(expect, abs=1e-6)


def test_window_pool_averages_column_blocks():
    tokens = torch.arange(2 * 256 * 3, dtype=torch.float).view(2, 256, 3)
    win = window_pool(tokens, (8, 32), 4)
    grid = tokens.view(2, 8, 32, 3)
    for w in range(4):
        expect = grid[:, :, w * 8:(w + 1) * 8].reshape(2, -1, 3).mean(1)
        torch.testing.assert_close(win[:, w], expect)


def reference_contrast(q, k_all, rank):
    """MoCo v3 InfoNCE written out: -log softmax of the positive."""
    qn = q / q.norm(dim=1, keepdim=True)
    kn = k_all / k_all.norm(dim=1, keepdim=True)
    total = 0.
    for i in range(q.shape[0]):
        logits = [float(qn[i] @ kn[j]) / T for j in range(k_all.shape[0])]
        pos = logits[i + q.shape[0] * rank]
        total += -pos + math.log(sum(math.exp(v) for v in logits))
    return 2 * T * total / q.shape[0]


def test_window_contrast_single_process():
    init_default_scope('docseg_mm')
    head = MODELS.build(contrast_head_cfg())
    torch.manual_seed(0)
    q, k = torch.randn(12, 8), torch.randn(12, 8)
    assert head.contrast(q, k).item() == pytest.approx(
        reference_contrast(q, k, 0), rel=1e-5)


def _contrast_worker(rank, world, init_file, out_dir):
    import torch.distributed as dist
    dist.init_process_group('gloo', init_method=f'file://{init_file}',
                            rank=rank, world_size=world)
    init_default_scope('docseg_mm')
    head = MODELS.build(contrast_head_cfg())
    g = torch.Generator().manual_seed(rank)
    q, k = torch.randn(6, 8, generator=g), torch.randn(6, 8, generator=g)
    loss = head.contrast(q, k).item()
    torch.save(dict(q=q, k=k, loss=loss), osp.join(out_dir, f'{rank}.pt'))
    dist.destroy_process_group()


def test_window_contrast_all_gather_two_processes(tmp_path):
    init_file = osp.join(tempfile.mkdtemp(dir=str(tmp_path)), 'init')
    run_workers(_contrast_worker, (2, init_file, str(tmp_path)))
    res = [torch.load(osp.join(str(tmp_path), f'{r}.pt')) for r in range(2)]
    k_all = torch.cat([r['k'] for r in res])
    for rank, r in enumerate(res):
        # positives of rank 1 are rows 6..11 of the gathered keys
        assert r['loss'] == pytest.approx(
            reference_contrast(r['q'], k_all, rank), rel=1e-5)


def dig_momentum(step, total):
    """DiG's ``adjust_moco_momentum`` (fraction of the run)."""
    return 1. - 0.5 * (1. + math.cos(math.pi * step / total)) * (1. - 0.99)


@pytest.mark.parametrize('step', [1, 5, 10])
def test_ema_momentum_start_middle_end(step):
    model = tiny_dig()
    MessageHub.get_current_instance().update_info('max_iters', 10)
    online = model._online()
    with torch.no_grad():
        for p in online.parameters():
            p.fill_(1.)
        for p in model.target_net.module.parameters():
            p.fill_(0.)
    model.target_net.steps.fill_(step)
    model.target_net.update_parameters(online)
    m = dig_momentum(step, 10)  # 0.99.. at the start, 0.995, 1 at the end
    for p in model.target_net.module.parameters():
        # target <- m * target + (1 - m) * online
        assert torch.allclose(p, torch.full_like(p, 1. - m), atol=1e-7)
    assert dig_momentum(5, 10) == pytest.approx(0.995)


def test_momentum_update_changes_parameters_only():
    """DiG's ``_update_momentum_encoder`` averages the parameters; the
    momentum branch keeps its own BatchNorm running statistics."""
    model = tiny_dig()
    model.init_weights()
    MessageHub.get_current_instance().update_info('max_iters', 10)
    online, target = model._online(), model.target_net.module
    mask = torch.zeros(4, 256, dtype=torch.bool)
    mask[:2, ::3] = True
    torch.manual_seed(3)
    with torch.no_grad():  # the online statistics move away from the init
        model._window_embed(online.train(), torch.randn(4, 3, 32, 128), mask)
    model.target_net.update_parameters(online)  # the first one copies all
    for (k, a), b in zip(target.state_dict().items(),
                         online.state_dict().values()):
        assert torch.equal(a, b), k
    with torch.no_grad():
        model._window_embed(target.train(), torch.randn(4, 3, 32, 128),
                            mask)  # its own statistics
        model._window_embed(online, torch.randn(4, 3, 32, 128) + 2, mask)
        for p in online.parameters():
            p.add_(torch.randn_like(p))
    params = {k: v.clone() for k, v in target.named_parameters()}
    buffers = {k: v.clone() for k, v in target.named_buffers()}
    src = dict(online.named_parameters())
    running = [k for k in buffers if k.endswith('running_mean')]
    assert len(running) == 6  # 2 BNs + last BN in each of the 3 MLPs
    online_buffers = dict(online.named_buffers())
    for k in running:
        assert not torch.allclose(buffers[k], online_buffers[k]), k
    model.target_net.update_parameters(online)  # step 1 of 10
    m = 1. - 0.5 * (1. + math.cos(math.pi * 1 / 10)) * 0.01
    assert m == pytest.approx(dig_momentum(1, 10), abs=1e-15)
    for k, p in target.named_parameters():
        # DiG: param_m = param_m * m + param_b * (1 - m), bit for bit
        assert torch.equal(p, params[k] * m + src[k] * (1. - m)), k
    for k, b in target.named_buffers():
        assert torch.equal(b, buffers[k]), k


def test_dig_loss_updates_momentum_first_and_weights_losses():
    model = tiny_dig()
    model.init_weights()
    MessageHub.get_current_instance().update_info('max_iters', 4)
    torch.manual_seed(1)
    x = [torch.randn(2, 3, 32, 128), torch.randn(2, 3, 32, 128)]
    samples = [DataSample(mask=torch.from_numpy(RandomPatchMask()({})[
        'mask'])) for _ in range(2)]
    losses = model.loss(x, samples)
    assert set(losses) == {'loss_mim', 'loss_contrast'}
    # step 0 copies the online branch into the momentum branch
    assert int(model.target_net.steps) == 1
    for (n, p), q in zip(model._online().named_parameters(),
                         model.target_net.module.parameters()):
        assert torch.equal(p, q), n
    # with identical branches and BN in train mode, the momentum keys are
    # the online projections: recompute the contrast from them.
    mask = torch.stack([s.mask for s in samples]).flatten(1).bool()
    full = torch.cat([mask, torch.zeros_like(mask)])
    with torch.no_grad():
        _, k = model._window_embed(model.target_net.module, torch.cat(x),
                                   full)
        _, q = model._window_embed(model._online(), torch.cat(x), full)
        q1, q2 = model.head.predict(q).chunk(2)
        k1, k2 = k.chunk(2)
        expect = 0.1 * (reference_contrast(q1, k2, 0) +
                        reference_contrast(q2, k1, 0))
    assert losses['loss_contrast'].item() == pytest.approx(expect, rel=1e-4)
