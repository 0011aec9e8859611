# Copyright (c) docseg_mm contributors. All rights reserved.
"""Stage-level reference tests of DocSAM's hybrid query decoder.

``HybridQueryDecoderLayer.forward``, ``HybridQueryDecoder.forward`` and a
whole tiny DocSAM (Swin, pixel decoder, head; 2 stages, few queries) are
compared stage by stage with the independent computation of
``tests/test_models/docsam_reference.py`` (written from the corrected spec
B3.5): decoder states, semantic and instance mask logits, boxes, class
logits and the kept queries, in float64 within 1e-5.
"""
import pytest
import torch
from mmdet.structures import DetDataSample
from torchvision.ops import roi_align

from docseg_mm.models.dense_heads.docsam_head import DocSAMHead
from docseg_mm.models.layers.hybrid_query_decoder import HybridQueryDecoder
from docseg_mm.models.layers.hybrid_query_decoder_layer import \
    HybridQueryDecoderLayer
from docseg_mm.models.segmentors.docsam import DocSAM
from docseg_mm.utils import register_all_modules
from ..docsam_helpers import HashNameEncoder
from ..docsam_helpers import one_thread  # noqa: F401 (autouse fixture)
from ..docsam_reference import ref_decoder, ref_hybrid_layer, ref_linear

register_all_modules()

C = 16
HEADS = 2
LEVELS = ((2, 2), (4, 4), (8, 8), (16, 16))  # strides 32..4 of 64x64
IMG_SHAPES = ((64, 64), (44, 56))  # image 1 is padded
NUM_LABELS = (4, 3)
TOL = 1e-5


def perturb(module, seed=0, scale=0.2):
    """Move every parameter off its init (norm weights != 1, biases != 0,
    the zero-initialised last box layer ...)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * scale)
    return module


def tiny_decoder(faithful, selection, seed=0, **kwargs):
    torch.manual_seed(seed)
    dec = HybridQueryDecoder(
        embed_dims=C,
        num_stages=2,
        num_levels=4,
        num_heads=HEADS,
        ffn_dims=32,
        dropout=0.1,
        roi_size=2,
        pos_table_size=16,
        num_groups=4,
        query_selection=(dict(
            score_thr=0.9, min_num=4, max_num=6, nms_iou=0.9)
                         if selection else None),
        faithful=faithful,
        **kwargs)
    dec.init_weights()
    return perturb(dec, seed).double().eval()


def decoder_inputs(seed=0, num_queries=10):
    gen = torch.Generator().manual_seed(seed)

    def randn(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    feats = [randn(2, C, h, w) for h, w in LEVELS]
    mask_features = randn(2, C, *LEVELS[-1])
    image_bboxes = torch.zeros(2, 4, dtype=torch.float64)
    pixel_mask = torch.zeros(2, 64, 64, dtype=torch.float64)
    for i, (h, w) in enumerate(IMG_SHAPES):
        image_bboxes[i, 2:] = torch.tensor([w, h])
        pixel_mask[i, :h, :w] = 1
    xy = torch.rand(2, num_queries, 2, generator=gen, dtype=torch.float64)
    wh = torch.rand(
        2, num_queries, 2, generator=gen, dtype=torch.float64) * 30 + 2
    xy = xy * (image_bboxes[:, None, 2:] - wh)
    boxes = torch.cat([xy, xy + wh], -1)
    inst = randn(2, num_queries, C)
    sem = randn(2, max(NUM_LABELS), C)
    sem_pad = torch.ones(2, max(NUM_LABELS), dtype=torch.bool)
    for i, n in enumerate(NUM_LABELS):
        sem_pad[i, :n] = False
    sem[sem_pad] = 0
    return feats, mask_features, image_bboxes, pixel_mask, inst, boxes, \
        sem, sem_pad


def assert_stages_equal(outs, refs, tol=TOL):
    assert len(outs) == len(refs)
    for idx, (o, r) in enumerate(zip(outs, refs)):
        assert torch.equal(o['padding_mask'], r['padding_mask']), idx
        valid = ~r['padding_mask']
        for key in ('cls_logits', 'boxes', 'mask_logits'):
            if r[key] is None:
                assert o[key] is None, (idx, key)
                continue
            diff = (o[key][valid] - r[key][valid]).abs().max()
            assert diff < tol, (idx, key, float(diff))
        for b, n in enumerate(NUM_LABELS):
            diff = (o['sem_logits'][b, :n] - r['sem_logits'][b, :n]).abs()
            assert diff.max() < tol, (idx, 'sem_logits', float(diff.max()))


# ---------------------------------------------------------------------------
# one decoder stage
# ---------------------------------------------------------------------------
@pytest.mark.parametrize('faithful', [False, True])
def test_decoder_layer_matches_reference(faithful):
    torch.manual_seed(0)
    layer = perturb(HybridQueryDecoderLayer(C, HEADS, 32, 4, 0.1,
                                            faithful)).double().eval()
    gen = torch.Generator().manual_seed(1)

    def randn(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    b, q, k = 2, 5, 4
    sizes = [h * w for h, w in LEVELS]
    inst, inst_pos, sem, sem_pos = (randn(b, q, C), randn(b, q, C),
                                    randn(b, k, C), randn(b, k, C))
    inst_pad = torch.tensor([[False] * 5, [False] * 3 + [True] * 2])
    sem_pad = torch.tensor([[False] * 4, [False] * 3 + [True]])
    mems = [randn(b, n, C) for n in sizes]
    mem_pos = [randn(b, n, C) for n in sizes]
    mem_pads = [torch.zeros(b, n, dtype=torch.bool) for n in sizes]
    for pad in mem_pads:
        pad[1, -max(1, pad.shape[1] // 4):] = True
    inst_m = [torch.rand(b, q, n, generator=gen) < 0.5 for n in sizes]
    sem_m = [torch.rand(b, k, n, generator=gen) < 0.5 for n in sizes]
    for m, pad in zip(inst_m, mem_pads):
        m[0, 0] = True  # blocked everywhere: the original un-blocks it
        m[1, 1] = ~pad[1]  # open only on padding: zero attention
    with torch.no_grad():
        out = layer(inst, inst_pos, inst_pad, sem, sem_pos, sem_pad, mems,
                    [m + p for m, p in zip(mems, mem_pos)],
                    [(m & ~m.all(-1, keepdim=True))[:, None]
                     | p[:, None, None] for m, p in zip(inst_m, mem_pads)],
                    [(m & ~m.all(-1, keepdim=True))[:, None]
                     | p[:, None, None] for m, p in zip(sem_m, mem_pads)])
        ref = ref_hybrid_layer(
            layer, inst, inst_pos, inst_pad, sem, sem_pos, sem_pad, mems,
            mem_pos, mem_pads,
            [(m & ~m.all(-1, keepdim=True)).repeat_interleave(HEADS, 0)
             for m in inst_m],
            [(m & ~m.all(-1, keepdim=True)).repeat_interleave(HEADS, 0)
             for m in sem_m])
    assert len(out) == 2  # the states only
    for o, r in zip(out, ref):
        assert o.shape == r.shape
        assert (o - r).abs().max() < TOL


# ---------------------------------------------------------------------------
# all stages
# ---------------------------------------------------------------------------
@pytest.mark.parametrize('faithful,selection', [(True, True), (False, True),
                                                (True, False), (False, False)])
def test_decoder_matches_reference(faithful, selection):
    dec = tiny_decoder(faithful, selection)
    feats, mf, img_boxes, pix, inst, boxes, sem, sem_pad = decoder_inputs()
    with torch.no_grad():
        outs = dec(feats, mf, img_boxes, pix, inst, boxes, sem, sem_pad,
                   list(NUM_LABELS))
        refs = ref_decoder(
            dec,
            feats,
            mf,
            img_boxes,
            pix,
            inst,
            boxes,
            sem,
            sem_pad,
            list(NUM_LABELS),
            selection=(4, 6, 0.9) if selection else None,
            original_selection=faithful)
    assert_stages_equal(outs, refs)
    if selection:
        kept = [(~o['padding_mask']).sum(1).tolist() for o in outs]
        # the images keep different numbers: stage 2 selects from a padded
        # batch (where faithful and default differ)
        assert kept[0] == [10, 10] and kept[1][0] != kept[1][1]


@pytest.mark.parametrize('faithful', [False, True])
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_roi_features_one_call_equals_separate_calls(faithful, dtype):
    """The stride-4 level and the mask positions share one roi_align.

    The original pools every level map (features plus image positions) and
    then, with the same boxes, the mask positions: one torchvision
    ``roi_align`` per map. Values and gradients (to every map and through
    the projections) must equal that two-call computation, with the
    original's settings (adaptive sampling, ``aligned=False``) and boxes
    reaching past the map (clamped / zero samples), in the default and the
    faithful decoder.
    """
    dec = tiny_decoder(faithful, False).to(dtype)
    feats, _, _, _, _, boxes, _, _ = decoder_inputs(seed=3)
    feats = [f.to(dtype) for f in feats]
    boxes = boxes.to(dtype)
    boxes[0, 0] = torch.tensor([50., 40., 70., 75.])  # past the 64x64 map
    boxes[1, 1] = torch.tensor([-6., -3., 9., 12.])  # before its origin
    mask_pos = torch.randn_like(feats[-1])
    ours_in = [f.clone().requires_grad_() for f in feats + [mask_pos]]
    ref_in = [f.clone().requires_grad_() for f in feats + [mask_pos]]

    roi_feat, pos = dec._roi_features(ours_in[:-1],
                                      torch.cat([ours_in[-2], ours_in[-1]],
                                                1), boxes)
    rois = list(boxes.unbind(0))
    pooled = []
    for lvl, feat in enumerate(ref_in[:-1]):  # the original: one per map
        r = roi_align(feat, rois, 2, 1 / 4 / 2**(3 - lvl), -1, False)
        pooled.append(dec.bbox_feat_projection[lvl](r.reshape(2, 10, -1)))
    ref_feat = dec.multiscale_feat_fusion(torch.cat(pooled, -1))
    r = roi_align(ref_in[-1], rois, 2, 1 / 4, -1, False)
    ref_pos = dec.instance_posi_feat_projection(r.reshape(2, 10, -1))

    tol = 1e-12 if dtype == torch.float64 else 1e-5
    assert torch.allclose(roi_feat, ref_feat, atol=tol)
    assert torch.allclose(pos, ref_pos, atol=tol)
    # gradients of an arbitrary scalar of both outputs
    gen = torch.Generator().manual_seed(5)
    w1 = torch.randn(ref_feat.shape, generator=gen, dtype=dtype)
    w2 = torch.randn(ref_pos.shape, generator=gen, dtype=dtype)
    ((roi_feat * w1).sum() + (pos * w2).sum()).backward()
    ((ref_feat * w1).sum() + (ref_pos * w2).sum()).backward()
    for lvl, (a, b) in enumerate(zip(ours_in, ref_in)):
        assert b.grad.abs().max() > 0, lvl
        assert torch.allclose(a.grad, b.grad, atol=tol * 10), lvl


def test_speed_options_are_off_by_default_and_do_what_they_say():
    """``roi_sampling_ratio`` and ``cross_attn_dropout`` (non-faithful speed
    options): the defaults are the original's (adaptive sampling, the
    decoder dropout on the cross-attention); set, the RoI features are
    torchvision's at that fixed ratio and only the cross-attention
    dropout changes."""
    dec = tiny_decoder(False, False)
    assert dec.roi_sampling_ratio == -1
    for layer in dec.decoder_layers:
        for branch in (layer.instance_decoder, layer.semantic_decoder):
            assert all(d.multihead_attn.dropout == 0.1 for d in branch)
    fast = tiny_decoder(
        False, False, roi_sampling_ratio=2, cross_attn_dropout=0.0)
    layer = fast.decoder_layers[0]
    assert layer.instance_decoder[3].multihead_attn.dropout == 0.0
    assert layer.semantic_decoder[0].multihead_attn.dropout == 0.0
    assert layer.instance_decoder[3].self_attn.dropout == 0.1
    assert layer.query_fusion_encoder_1.self_attn.dropout == 0.1

    feats, _, _, _, _, boxes, _, _ = decoder_inputs(seed=4)
    boxes = boxes * 3  # large boxes: adaptive sampling would use > 2
    mask_pos = torch.randn_like(feats[-1])
    with torch.no_grad():
        roi_feat, pos = fast._roi_features(
            feats, torch.cat([feats[-1], mask_pos], 1), boxes)
        rois = list(boxes.unbind(0))
        pooled = [
            fast.bbox_feat_projection[lvl](roi_align(
                f, rois, 2, 1 / 4 / 2**(3 - lvl), 2,
                False).reshape(2, 10, -1)) for lvl, f in enumerate(feats)
        ]
        ref = fast.multiscale_feat_fusion(torch.cat(pooled, -1))
        ref_pos = fast.instance_posi_feat_projection(
            roi_align(mask_pos, rois, 2, 1 / 4, 2, False).reshape(2, 10, -1))
        adaptive = fast.bbox_feat_projection[3](roi_align(
            feats[3], rois, 2, 1 / 4, -1, False).reshape(2, 10, -1))
    assert torch.allclose(roi_feat, ref, atol=1e-12)
    assert torch.allclose(pos, ref_pos, atol=1e-12)
    assert not torch.allclose(pooled[3], adaptive, atol=1e-3)


# ---------------------------------------------------------------------------
# a whole tiny DocSAM
# ---------------------------------------------------------------------------
NAMES = (('Text', 'Table', 'Picture', 'A _background_'), ('text', 'figure',
                                                          'B _background_'))


class DoubleHashEncoder(HashNameEncoder):
    """The hash encoder with float64 embeddings (the head runs in float64
    below)."""

    def forward(self, class_names):
        emb, pad = super().forward(class_names)
        return emb.double(), pad


def tiny_docsam():
    torch.manual_seed(0)
    backbone = dict(
        type='mmdet.SwinTransformer',
        pretrain_img_size=64,
        embed_dims=16,
        depths=[2, 1, 1, 1],
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
        feat_channels=C,
        num_encoder_layers=1,
        num_heads=2,
        num_points=2,
        ffn_channels=32,
        pos_table_size=16,
        fusion_mid_channels=8,
        norm_cfg=dict(type='GN', num_groups=4))
    head = DocSAMHead(
        text_encoder=DoubleHashEncoder(12),
        decoder=dict(
            num_stages=2,
            num_heads=HEADS,
            ffn_dims=32,
            roi_size=2,
            pos_table_size=16,
            num_groups=4,
            query_selection=dict(
                score_thr=0.5, min_num=4, max_num=6, nms_iou=0.9),
            faithful=True),
        embed_dims=C,
        text_dims=12,
        num_queries=8)
    model = DocSAM(backbone, neck, head)
    model.init_weights()
    perturb(model.head, seed=1)
    return model.eval()


def test_tiny_docsam_stages_match_reference():
    model = tiny_docsam()
    gen = torch.Generator().manual_seed(2)
    inputs = torch.rand(2, 3, 64, 64, generator=gen) * 255
    samples = []
    for shape, names in zip(IMG_SHAPES, NAMES):
        inputs[len(samples), :, shape[0]:] = 0
        inputs[len(samples), :, :, shape[1]:] = 0
        samples.append(
            DetDataSample(
                metainfo=dict(
                    class_names=names, img_shape=shape, ori_shape=shape)))
    with torch.no_grad():
        image_bboxes, pixel_mask = model._valid_regions(inputs, samples)
        feats, mask_features = model.extract_feat(inputs, image_bboxes)
        feats = [f.double() for f in feats]
        mask_features = mask_features.double()
        image_bboxes, pixel_mask = image_bboxes.double(), pixel_mask.double()
        head = model.head.double()
        outs = head(feats, mask_features, image_bboxes, pixel_mask, NAMES)
        # initial queries, boxes and semantic states from the spec (B3.3,
        # B3.4): queries + learned positions; proposals (cx, cy, w/4, h/4)
        # placed in each valid region; projected name embeddings
        inst = (head.instance_queries.weight +
                head.instance_posembs.weight)[None].expand(2, -1, -1)
        cx, cy, w, h = head.proposal_bboxes.weight.unbind(-1)
        unit = torch.stack([cx - w / 8, cy - h / 8, cx + w / 8, cy + h / 8],
                           -1)
        size = image_bboxes[:, 2:].repeat(1, 2)
        boxes = unit[None] * size[:, None]
        emb, sem_pad = HashNameEncoder(12)(NAMES)
        sem = ref_linear(emb.double(), head.semantic_query_projection)
        refs = ref_decoder(
            head.decoder,
            feats,
            mask_features,
            image_bboxes,
            pixel_mask,
            inst,
            boxes,
            sem,
            sem_pad, [len(n) for n in NAMES],
            selection=(4, 6, 0.5))
    assert_stages_equal(outs, refs)
    # the decoder output (last stage) is non-trivial
    assert refs[-1]['mask_logits'].abs().max() > 0.1
    # and the batch padding reached the decoder
    assert pixel_mask[1].sum() == 44 * 56


def test_channels_last_equals_contiguous():
    dec = tiny_decoder(False, True).float()
    inputs = decoder_inputs(seed=5)
    inputs = [[f.float() for f in inputs[0]]] + [
        t.float() if t.is_floating_point() else t for t in inputs[1:]
    ]
    with torch.no_grad():
        plain = dec(*inputs, list(NUM_LABELS))
        dec.channels_last = True
        fast = dec(*inputs, list(NUM_LABELS))
    for p, f in zip(plain, fast):
        assert torch.equal(p['padding_mask'], f['padding_mask'])
        for key in ('cls_logits', 'boxes', 'mask_logits', 'sem_logits'):
            if p[key] is None:
                continue
            assert torch.allclose(p[key], f[key], atol=1e-4, rtol=1e-5), key
    # the mask predictors' convolutions really ran channels-last
    seen = []
    conv = dec.instance_mask_predictor.visual_feat_reducer[0][0]
    conv.register_forward_hook(lambda m, a, o: seen.append(
        o.is_contiguous(memory_format=torch.channels_last)))
    with torch.no_grad():
        dec(*inputs, list(NUM_LABELS))
    assert seen == [True]
