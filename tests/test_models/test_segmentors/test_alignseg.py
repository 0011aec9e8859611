# Copyright (c) docseg_mm contributors. All rights reserved.
"""AlignSeg segmentor: crop pairing (corrected vs the original's), hints,
prediction outputs."""
import pytest
import torch
from mmpretrain.structures import DataSample
from mmseg.structures import SegDataSample

from docseg_mm.registry import MODELS
from docseg_mm.utils import register_all_modules

TINY_VIT = dict(type='CLSAttentionViT',
                arch=dict(embed_dims=24, num_layers=2, num_heads=3,
                          feedforward_channels=48),
                img_size=32, patch_size=8)


@pytest.fixture(autouse=True, scope='module')
def setup():
    num = torch.get_num_threads()
    torch.set_num_threads(1)
    register_all_modules()
    yield
    torch.set_num_threads(num)


def build(**kwargs):
    torch.manual_seed(0)
    cfg = dict(type='AlignSeg', backbone=TINY_VIT,
               decode_head=dict(type='AlignSegHead', in_channels=24,
                                num_queries=3, num_heads=3,
                                feedforward_channels=16))
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def capture(model):
    seen = {}

    def loss_by_feat(tokens, fg):
        seen['tokens'], seen['fg'] = tokens, fg
        return {}

    model.decode_head.loss_by_feat = loss_by_feat
    return seen


def crops(batch, n_local=2, size=32):
    g = torch.Generator().manual_seed(1)
    return [torch.randn(batch, 3, size, size, generator=g)
            for _ in range(1 + n_local)]


def test_backbone_is_frozen():
    model = build()
    model.train()
    assert not model.backbone.training
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.decode_head.parameters())


def test_correct_pairing_keeps_samples_together():
    model = build()
    seen = capture(model)
    x = crops(4)
    model.loss(x, [DataSample() for _ in range(4)])
    for i, crop in enumerate(x):
        ref, _ = model.backbone(crop)
        torch.testing.assert_close(seen['tokens'][i],
                                   ref.flatten(2).transpose(1, 2))


def test_faithful_pairing_reproduces_the_original_mixup():
    # Spec 1.9: local tokens are crop-major (crop, sample) but read as
    # (sample, crop). With B = 4 and two local crops, local crop i of
    # sample b is the flat row 2 * b + i of the (crop, sample) stack:
    # sample 0 -> (crop 0, s0), (crop 0, s1); sample 1 -> (crop 0, s2),
    # (crop 0, s3); sample 2 -> (crop 1, s0), (crop 1, s1); ...
    model = build(faithful_crop_pairing=True)
    seen = capture(model)
    x = crops(4)
    model.loss(x, [DataSample() for _ in range(4)])
    local = [model.backbone(c)[0].flatten(2).transpose(1, 2) for c in x[1:]]
    expected = {(0, 0): (0, 0), (0, 1): (0, 1), (1, 0): (0, 2),
                (1, 1): (0, 3), (2, 0): (1, 0), (2, 1): (1, 1),
                (3, 0): (1, 2), (3, 1): (1, 3)}
    for (b, i), (crop, s) in expected.items():
        torch.testing.assert_close(seen['tokens'][1 + i][b], local[crop][s])
    # the global crop and the hints stay correctly paired
    torch.testing.assert_close(
        seen['tokens'][0], model.backbone(x[0])[0].flatten(2).transpose(1, 2))
    correct = build()
    seen_c = capture(correct)
    correct.loss(x, [DataSample() for _ in range(4)])
    for a, b in zip(seen['fg'], seen_c['fg']):
        assert torch.equal(a, b)


def test_seg_map_hint_reads_crop_maps():
    model = build(fg_hint=dict(type='SegMapHint', min_fraction=0.5))
    seen = capture(model)
    samples = []
    for b in range(2):
        maps = torch.zeros(3, 32, 32, dtype=torch.int32)
        maps[:, :16, :16] = 1  # top-left 2x2 tokens of the 4x4 grid
        maps[b, 16:, 16:] = 1  # crop b of sample b: also bottom-right
        s = DataSample()
        s.set_field(maps, 'crop_seg_maps')
        samples.append(s)
    model.loss(crops(2), samples)
    fg = [f.reshape(2, 4, 4) for f in seen['fg']]
    for i in range(3):
        for b in range(2):
            expect = torch.zeros(4, 4, dtype=torch.bool)
            expect[:2, :2] = True
            if i == b:
                expect[2:, 2:] = True
            assert torch.equal(fg[i][b], expect)


def test_cls_hint_shapes_and_training_step():
    model = build()
    losses = model.loss(crops(2), [DataSample() for _ in range(2)])
    assert set(losses) == {'loss_corr', 'loss_query', 'acc_query'}
    total = losses['loss_corr'] + losses['loss_query']
    total.backward()
    assert model.decode_head.queries.weight.grad is not None


def test_predict_gives_cluster_ids_and_embeddings():
    model = build(test_cfg=dict(embeddings='backbone'))
    model.eval()
    s = SegDataSample(metainfo=dict(ori_shape=(20, 30), img_shape=(32, 48)))
    out = model.predict(torch.randn(1, 3, 32, 48), [s])[0]
    pred = out.pred_sem_seg.data
    assert pred.shape == (1, 20, 30) and pred.max() < 3
    assert out.seg_logits.data.shape == (3, 20, 30)
    torch.testing.assert_close(out.seg_logits.data.sum(0),
                               torch.ones(20, 30))
    assert out.seg_embeddings.data.shape == (24, 4, 6)
    model.test_cfg['embeddings'] = 'assignment'
    out = model.predict(torch.randn(1, 3, 32, 48), [s])[0]
    assert out.seg_embeddings.data.shape == (3, 4, 6)
    model.test_cfg['embeddings'] = dict(seg_embeddings='backbone',
                                        seg_assignment='assignment')
    out = model.predict(torch.randn(1, 3, 32, 48), [s])[0]
    assert out.seg_embeddings.data.shape == (24, 4, 6)
    assert out.seg_assignment.data.shape == (3, 4, 6)
    with pytest.raises(ValueError):
        build(test_cfg=dict(embeddings='tokens'))


def test_training_needs_multi_crop_inputs():
    model = build()
    with pytest.raises(TypeError, match='AlignSegMultiCrop'):
        model.loss(torch.randn(2, 3, 32, 32), [DataSample()] * 2)
