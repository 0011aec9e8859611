# Copyright (c) docseg_mm contributors. All rights reserved.
"""End-to-end tests of the :class:`DocSAM` segmentor with a tiny model.

The model is a tiny Swin + pixel decoder + DocSAM head whose text encoder is
a parameter-free hash embedding of each class name (no MiniLM load), so the
same weights can be trained on one class-name list and evaluated on another.
"""
import os.path as osp

import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.structures import InstanceData

from docseg_mm.models.dense_heads.docsam_head import DocSAMHead
from docseg_mm.models.segmentors.docsam import DocSAM
from docseg_mm.utils import register_all_modules
from ..docsam_helpers import HashNameEncoder
from ..docsam_helpers import one_thread  # noqa: F401 (autouse fixture)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
MODEL_CFG = osp.join(REPO, 'configs', '_base_', 'models', 'docsam_swin-b.py')

register_all_modules()

EMBED = 16
TEXT = 12
SET_A = ('Text', 'Table', 'Picture', 'A _background_')
SET_B = ('text', 'figure', 'B _background_')


def tiny_docsam(seed=0, test_cfg=None):
    torch.manual_seed(seed)
    base = Config.fromfile(MODEL_CFG).model
    train_cfg = base.train_cfg.to_dict()
    train_cfg['jitter_points'] = False
    backbone = dict(
        type='mmdet.SwinTransformer',
        pretrain_img_size=64,
        embed_dims=16,
        depths=[1, 1, 1, 1],
        num_heads=[1, 2, 2, 4],
        window_size=4,
        mlp_ratio=2,
        drop_path_rate=0.0,
        out_indices=(0, 1, 2, 3),
        convert_weights=False,
        init_cfg=None)
    neck = dict(
        type='DocSAMPixelDecoder',
        in_channels=[16, 32, 64, 128],
        strides=[4, 8, 16, 32],
        feat_channels=EMBED,
        num_encoder_layers=1,
        num_heads=2,
        num_points=2,
        ffn_channels=32,
        pos_table_size=16,
        fusion_mid_channels=8,
        norm_cfg=dict(type='GN', num_groups=4))
    head = DocSAMHead(
        text_encoder=HashNameEncoder(TEXT),
        decoder=dict(
            num_stages=4,
            num_levels=4,
            num_heads=2,
            ffn_dims=32,
            dropout=0.0,
            roi_size=2,
            pos_table_size=16,
            num_groups=4,
            query_selection=dict(
                score_thr=0.01, min_num=6, max_num=12, nms_iou=0.9)),
        embed_dims=EMBED,
        text_dims=TEXT,
        num_queries=12,
        train_cfg=train_cfg)
    cfg = dict(score_thr=0.0, mask_thr=0.5, batch_size=4)
    cfg.update(test_cfg or {})
    model = DocSAM(backbone, neck, head, train_cfg=train_cfg, test_cfg=cfg)
    model.init_weights()
    return model


def make_sample(names, img_shape, ori_shape=None, boxes=(), labels=()):
    h, w = img_shape
    ori_shape = ori_shape or img_shape
    scale = (w / ori_shape[1], h / ori_shape[0])
    s = DetDataSample(
        metainfo=dict(
            class_names=tuple(names),
            img_shape=tuple(img_shape),
            ori_shape=tuple(ori_shape),
            scale_factor=scale,
            pad_shape=tuple(img_shape)))
    masks = torch.zeros(len(boxes), h, w, dtype=torch.uint8)
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        masks[i, y0:y1, x0:x1] = 1
    s.gt_instances = InstanceData(
        bboxes=torch.tensor(boxes, dtype=torch.float32).view(-1, 4),
        labels=torch.tensor(labels, dtype=torch.long),
        masks=BitmapMasks(masks.numpy(), h, w))
    return s


def train_batch(seed=0):
    gen = torch.Generator().manual_seed(seed)
    inputs = torch.rand(2, 3, 64, 64, generator=gen) * 255
    samples = [
        make_sample(SET_A, (64, 64), boxes=[(4, 4, 40, 20), (8, 28, 60, 60)],
                    labels=[0, 1]),
        make_sample(SET_A, (64, 64), boxes=[(16, 8, 48, 52)], labels=[2]),
    ]
    return inputs, samples


def train_steps(model, inputs, samples, steps, lr=1e-3):
    opt = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=lr)
    model.train()
    totals = []
    for _ in range(steps):
        losses = model.loss(inputs, samples)
        total = sum(losses.values())
        opt.zero_grad()
        total.backward()
        opt.step()
        totals.append(float(total.detach()))
    return totals


def _check_instances(inst, ori_shape, num_classes):
    h, w = ori_shape
    assert inst.masks.shape[1:] == (h, w) and inst.masks.dtype == torch.bool
    n = len(inst)
    assert inst.bboxes.shape == (n, 4) and inst.scores.shape == (n, )
    if n:
        assert int(inst.labels.max()) < num_classes
        assert int(inst.labels.min()) >= 0
        assert float(inst.scores.min()) >= 0 and float(inst.scores.max()) <= 1
        assert (inst.bboxes[:, 0::2] >= -1e-4).all()
        assert (inst.bboxes[:, 0::2] <= w + 1e-4).all()
        assert (inst.bboxes[:, 1::2] <= h + 1e-4).all()


# ---------------------------------------------------------------------------
def test_train_on_one_class_set_predict_on_another():
    model = tiny_docsam()
    inputs, samples = train_batch()
    n_params = sum(p.numel() for p in model.parameters())
    totals = train_steps(model, inputs, samples, steps=3)
    assert all(torch.isfinite(torch.tensor(totals)))
    assert sum(p.numel() for p in model.parameters()) == n_params

    model.eval()
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(2, 3, 64, 96, generator=gen) * 255
    # image 0 downscaled x2 from its original, image 1 padded and upscaled
    test_samples = [
        make_sample(SET_B, (64, 96), ori_shape=(32, 48)),
        make_sample(SET_B, (48, 80), ori_shape=(96, 160)),
    ]
    with torch.no_grad():
        out = model.predict(x, test_samples)
    assert len(out) == 2
    for s, ori in zip(out, [(32, 48), (96, 160)]):
        assert s.pred_sem_masks.data.shape == (2, *ori)
        assert s.pred_sem_masks.data.dtype == torch.bool
        _check_instances(s.pred_instances, ori, num_classes=2)
    # score_thr=0 keeps every query with a non-empty mask, so some exist
    assert sum(len(s.pred_instances) for s in out) > 0
    # the same weights still answer for class set A (3 classes)
    with torch.no_grad():
        out_a = model.predict(x[:1], [make_sample(SET_A, (64, 96))])
    assert out_a[0].pred_sem_masks.data.shape == (3, 64, 96)
    _check_instances(out_a[0].pred_instances, (64, 96), num_classes=3)


def test_predict_mixed_class_sets_in_one_batch():
    model = tiny_docsam(seed=2).eval()
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    samples = [make_sample(SET_A, (64, 64)), make_sample(SET_B, (64, 64))]
    with torch.no_grad():
        out = model.predict(x * 255, samples)
    assert out[0].pred_sem_masks.data.shape == (3, 64, 64)
    assert out[1].pred_sem_masks.data.shape == (2, 64, 64)
    _check_instances(out[1].pred_instances, (64, 64), num_classes=2)


def test_predict_slide_mode_full_size():
    model = tiny_docsam(
        seed=3,
        test_cfg=dict(mode='slide', patch_size=(64, 64), stride=(32, 32)))
    model.eval()
    x = torch.rand(1, 3, 96, 128,
                   generator=torch.Generator().manual_seed(3)) * 255
    with torch.no_grad():
        out = model.predict(x, [make_sample(SET_B, (96, 128))])
    assert out[0].pred_sem_masks.data.shape == (2, 96, 128)
    _check_instances(out[0].pred_instances, (96, 128), num_classes=2)
    assert len(out[0].pred_instances) > 0
    # the windows tile the image: 2 rows x 3 columns of 64x64 at stride 32,
    # plus the thumbnail -> 7 patches through the head
    calls = []
    handle = model.head.register_forward_hook(
        lambda m, a, o: calls.append(a[0][0].shape[0]))
    with torch.no_grad():
        model.predict(x, [make_sample(SET_B, (96, 128))])
    handle.remove()
    assert sum(calls) == 7


def test_invalid_mode():
    model = tiny_docsam(test_cfg=dict(mode='tiles')).eval()
    with pytest.raises(ValueError, match='whole'):
        model.predict(torch.zeros(1, 3, 64, 64),
                      [make_sample(SET_B, (64, 64))])


def test_predict_rescale_maps_boxes_by_scale_factor():
    model = tiny_docsam(seed=4).eval()
    x = torch.rand(1, 3, 64, 64,
                   generator=torch.Generator().manual_seed(4)) * 255
    sf = (64 / 40, 64 / 16)  # (w, h) factors
    with torch.no_grad():
        raw = model.predict(
            x, [make_sample(SET_B, (64, 64), ori_shape=(16, 40))],
            rescale=False)[0]
        res = model.predict(
            x, [make_sample(SET_B, (64, 64), ori_shape=(16, 40))],
            rescale=True)[0]
    assert raw.pred_sem_masks.data.shape == (2, 64, 64)
    assert res.pred_sem_masks.data.shape == (2, 16, 40)
    assert len(raw.pred_instances) == len(res.pred_instances) > 0
    assert raw.pred_instances.masks.shape[1:] == (64, 64)
    assert res.pred_instances.masks.shape[1:] == (16, 40)
    expected = raw.pred_instances.bboxes / torch.tensor(
        [sf[0], sf[1], sf[0], sf[1]])
    assert torch.allclose(res.pred_instances.bboxes, expected, atol=1e-4)
    assert torch.equal(res.pred_instances.scores, raw.pred_instances.scores)
    assert torch.equal(res.pred_instances.labels, raw.pred_instances.labels)


def test_loss_decreases_on_repeated_batch():
    model = tiny_docsam(seed=0)
    inputs, samples = train_batch(seed=5)
    totals = train_steps(model, inputs, samples, steps=10, lr=2e-3)
    assert all(torch.isfinite(torch.tensor(totals)))
    assert totals[-1] < totals[0]
    assert min(totals[5:]) < 0.9 * totals[0]


def test_slide_windows_are_padded_by_the_data_preprocessor():
    """A window smaller than the patch is padded like a training batch:
    to ``pad_size_divisor`` with ``pad_value``."""
    from docseg_mm.registry import MODELS
    model = tiny_docsam(
        seed=5, test_cfg=dict(mode='slide', patch_size=(40, 40),
                              stride=(32, 32)))
    model.data_preprocessor = MODELS.build(
        dict(type='mmdet.DetDataPreprocessor', mean=[0., 0., 0.],
             std=[1., 1., 1.], pad_size_divisor=32, pad_value=7))
    model.eval()
    x = torch.rand(1, 3, 64, 96,
                   generator=torch.Generator().manual_seed(5)) * 255
    seen = []
    handle = model.backbone.register_forward_hook(
        lambda m, a, o: seen.append(a[0].clone()))
    with torch.no_grad():
        out = model.predict(x, [make_sample(SET_B, (30, 50))])
    handle.remove()
    assert out[0].pred_sem_masks.data.shape == (2, 30, 50)
    # one forward: the 40x40 thumbnail and two 30x40 windows (x = 0, 10),
    # padded to 64x64 (divisor 32) with the pad value
    assert len(seen) == 1 and seen[0].shape == (3, 3, 64, 64)
    for i, x0 in ((1, 0), (2, 10)):
        window = seen[0][i]
        assert torch.equal(window[:, :30, :40], x[0, :, :30, x0:x0 + 40])
        assert (window[:, 30:] == 7).all() and (window[:, :, 40:] == 7).all()
    assert (seen[0][0][:, 40:] == 7).all() and (seen[0][0][:, :, 40:] == 7
                                                 ).all()


def _rect_instances(rects, score, size):
    """Instances from (y1, y2, x1, x2) rectangles, label i for rect i."""
    masks = torch.zeros(len(rects), *size, dtype=torch.bool)
    for i, (y1, y2, x1, x2) in enumerate(rects):
        masks[i, y1:y2, x1:x2] = True
    return InstanceData(
        masks=masks,
        scores=torch.full((len(rects), ), score),
        labels=torch.arange(len(rects)),
        bboxes=torch.tensor([[r[2], r[0], r[3], r[1]] for r in rects],
                            dtype=torch.float32).reshape(-1, 4))


@pytest.mark.parametrize('faithful, margin, expected', [
    (False, 4, [0.8, 0.4, 0.8]),
    (True, 4, [0.4, 0.8, 0.8]),
    (False, 12, [0.8, 0.4, 0.8]),
    (True, 12, [0.4, 0.4, 0.4]),
])
def test_slide_border_rule_from_test_cfg(monkeypatch, faithful, margin,
                                         expected):
    """``test_cfg.faithful_border`` / ``border_margin`` decide which window
    instances are down-weighted (x ``border_score_factor``).

    A 64 x 96 page, 64 x 64 windows at stride 32: windows x in [0, 64) and
    [32, 96). Hand-built predictions of the first window (score 0.8):
    0: rows 20-29, cols 0-9 (on the image's left border);
    1: rows 40-49, cols 50-60 (3 empty columns before the window's right
       edge at 64, inside the image; inclusive right = 60);
    2: rows 5-14, cols 20-29 (5 rows below the top, an image border).
    Default rule: only edges inside the image count, distance = empty
    columns/rows: 1 is 3 < margin from the right edge; 0 and 2 touch only
    image borders. Original rule: x1 < m or y1 < m or x2_incl > 64 - m or
    y2_incl > 64 - m: m=4 -> 0 (x1=0); 1 is not (60 > 60 false);
    m=12 -> all three (0: x1=0, 1: 60 > 52, 2: y1=5).
    """
    model = tiny_docsam(
        test_cfg=dict(
            mode='slide',
            patch_size=(64, 64),
            stride=(32, 32),
            border_score_factor=0.5,
            border_margin=margin,
            faithful_border=faithful)).eval()
    rects = [(20, 30, 0, 10), (40, 50, 50, 61), (5, 15, 20, 30)]
    empty = _rect_instances([], 0.0, (64, 96))
    window = _rect_instances(rects, 0.8, (64, 64))
    seen = []

    def fake_predict_patches(patches, class_names, out_shapes):
        seen.append(list(out_shapes))
        sem = [torch.zeros(2, *s, dtype=torch.bool) for s in out_shapes]
        insts = [empty, window, _rect_instances([], 0.0, (64, 64))]
        return list(zip(insts, sem))

    monkeypatch.setattr(model, '_predict_patches', fake_predict_patches)
    out = model.predict(
        torch.zeros(1, 3, 64, 96), [make_sample(SET_B, (64, 96))])
    assert seen == [[(64, 96), (64, 64), (64, 64)]]
    inst = out[0].pred_instances
    scores = dict(zip(inst.labels.tolist(), inst.scores.tolist()))
    assert scores == pytest.approx(dict(enumerate(expected)))
    # pasted at the window offset (the first window starts at x = 0)
    assert torch.equal(inst.masks[inst.labels == 1][0, :, :64],
                       window.masks[1])


def test_border_rule_defaults_in_base_config():
    cfg = Config.fromfile(MODEL_CFG).model.test_cfg
    assert cfg.faithful_border is False and cfg.border_margin == 4
    model = tiny_docsam()
    assert model.test_cfg['faithful_border'] is False
    assert model.test_cfg['border_margin'] == 4
