# Copyright (c) docseg_mm contributors. All rights reserved.
"""SLRNet training modes, semi-supervised targets, and multi-scale + flip
inference against a hand-computed average."""
import math

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmseg.structures import SegDataSample
from mmengine.structures import PixelData

from docseg_mm.models.losses import balanced_mask_ce
from docseg_mm.models.utils import label_to_onehot, select_classes
from docseg_mm.registry import MODELS
from docseg_mm.utils import register_all_modules

MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]


def tiny_slrnet(mode='wsss', num_classes=4, **kwargs):
    register_all_modules()
    init_default_scope('docseg_mm')
    cfg = dict(
        type='SLRNet', mode=mode,
        data_preprocessor=dict(type='mmseg.SegDataPreProcessor', mean=MEAN,
                               std=STD, bgr_to_rgb=True),
        backbone=dict(type='mmseg.ResNetV1c', depth=18, stem_channels=8,
                      base_channels=8, out_indices=(0, 3),
                      strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2)),
        decode_head=dict(type='SLRHead', in_channels=(8, 64), channels=16,
                         skip_channels=8, num_classes=num_classes,
                         dilations=(1, 2),
                         constant_bg=mode != 'semi_unlabeled',
                         freeze_aspp_bn_stats=False,
                         norm_cfg=dict(type='BN')),
        pamr=dict(num_iter=2, dilations=(1, 2)),
        test_cfg=dict(mode='whole', class_select='predicted', fp_cut=0.3,
                      topk=2, bg_pow=3))
    cfg.update(kwargs)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _samples(labels, labeled=None, gt=None):
    out = []
    for i, lab in enumerate(labels):
        meta = dict(img_labels=np.asarray(lab, np.float32),
                    img_shape=(32, 32), ori_shape=(32, 32))
        if labeled is not None:
            meta['labeled'] = labeled[i]
        s = SegDataSample(metainfo=meta)
        if gt is not None:
            s.gt_sem_seg = PixelData(data=gt[i][None])
        out.append(s)
    return out


def test_wsss_losses_and_warmup_switch():
    model = tiny_slrnet().train()
    x = torch.randn(2, 3, 32, 32)
    samples = _samples([[1, 0, 1], [0, 1, 0]])
    losses = model.loss(x, samples)
    assert set(losses) == {'loss_cls', 'loss_reg', 'loss_code'}
    model.seg_loss_enabled = True
    losses = model.loss(x, samples)
    assert set(losses) == {'loss_cls', 'loss_reg', 'loss_code', 'loss_seg'}
    total = sum(losses.values())
    total.backward()
    assert all(math.isfinite(v.item()) for v in losses.values())
    grad = model.decode_head.cvlr.in_proj.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_missing_image_labels_message():
    model = tiny_slrnet().train()
    with pytest.raises(KeyError, match='img_labels'):
        model.loss(torch.randn(1, 3, 32, 32), [SegDataSample()])


def _eval_pieces(model, x):
    """The head's pieces in eval mode (deterministic), as loss() uses
    them."""
    head = model.decode_head
    x1, s1 = head.decode(model.extract_feat(x))
    x2, s2 = head.decode(model.extract_feat(F.interpolate(
        x, scale_factor=0.5, mode='bilinear', align_corners=True)))
    aux, _ = head.aux_forward(x1)
    (x1, x2), _ = head.low_rank([x1, x2], aux)
    l1, _ = head.seg_forward(x1, s1)
    l2, _ = head.seg_forward(x2, s2)
    l2 = F.interpolate(l2, l1.shape[2:], mode='bilinear', align_corners=True)
    return l1, l2, aux


def test_semi_labeled_samples_use_ground_truth():
    model = tiny_slrnet('semi').eval()  # eval: no dropout / random gate
    x = torch.randn(2, 3, 32, 32)
    gt = torch.zeros(2, 32, 32, dtype=torch.long)
    gt[0, 8:20, 4:30] = 2
    gt[0, 0, :] = 255
    labels = [[0, 1, 0], [1, 0, 0]]
    samples = _samples(labels, labeled=[True, False], gt=gt)
    losses = model.loss(x, samples)  # seg loss still in warm-up
    assert 'loss_seg' not in losses
    with torch.no_grad():
        l1, l2, aux = _eval_pieces(model, x)
        onehot = label_to_onehot(gt[:1], 4)
        seg0 = sum(w * balanced_mask_ce(lg[:1], onehot, batch_gate=False)
                   for w, lg in ((1., l1), (1., l2), (0.4, aux)))
        cls1 = F.multilabel_soft_margin_loss(
            model.decode_head.classify(l1[1:], l1[1:].softmax(1)),
            torch.tensor([labels[1]], dtype=torch.float),
            reduction='none')
    # labelled sample: ground-truth seg loss, which also replaces its cls loss
    assert losses['loss_seg_labeled'].item() == pytest.approx(
        seg0.item() * model.loss_weights['seg'], rel=1e-5)
    assert losses['loss_cls'].item() > cls1.item() / 2  # both views + aux


def test_semi_batch_without_labeled_samples():
    x = torch.randn(1, 3, 32, 32)
    samples = _samples([[1, 0, 0]], labeled=[False])
    losses = tiny_slrnet('semi').eval().loss(x, samples)
    assert 'loss_seg_labeled' not in losses
    faithful = tiny_slrnet('semi', faithful=True).eval()
    losses = faithful.loss(x, samples)
    assert math.isnan(losses['loss_seg_labeled'].item())  # the original's


def test_semi_unlabeled_mode():
    model = tiny_slrnet('semi_unlabeled').train()
    model.seg_loss_enabled = True
    gt = torch.zeros(2, 32, 32, dtype=torch.long)
    gt[1, 4:12, 4:12] = 3
    samples = [SegDataSample(metainfo=dict(labeled=flag)) for flag in
               (False, True)]
    samples[1].gt_sem_seg = PixelData(data=gt[1][None])
    losses = model.loss(torch.randn(2, 3, 32, 32), samples)
    assert {'loss_cls', 'loss_seg', 'loss_seg_labeled'} <= set(losses)
    assert model.decode_head.conv_seg.out_channels == 4
    with pytest.raises(ValueError, match='constant_bg'):
        tiny_slrnet('semi_unlabeled',
                    decode_head=dict(type='SLRHead', in_channels=(8, 64),
                                     channels=16, num_classes=4))


def test_tta_average_equals_hand_computed(tmp_path):
    """mmseg TestTimeAug (scales x flips) through SLRNetTTAModel equals the
    original's loop: sum(mask(img) + flip(mask(flip img))) / (2 S), then
    classes by fp_cut / top-k and background ** bg_pow."""
    model = tiny_slrnet(num_classes=4).eval()
    rng = np.random.default_rng(0)
    img = (rng.random((32, 48, 3)) * 255).astype(np.uint8)
    path = str(tmp_path / 'page.png')
    cv2.imwrite(path, img)
    scales = [1.0, 1.5, 0.5, 0.75]
    pipeline = Compose([
        dict(type='mmseg.LoadImageFromFile'),
        dict(type='mmseg.TestTimeAug', transforms=[
            [dict(type='mmseg.Resize', scale_factor=r, keep_ratio=True,
                  interpolation='bicubic') for r in scales],
            [dict(type='mmseg.RandomFlip', prob=0., direction='horizontal'),
             dict(type='mmseg.RandomFlip', prob=1., direction='horizontal')],
            [dict(type='PackWSSSInputs')]])
    ])
    tta = MODELS.build(dict(type='SLRNetTTAModel', module=model))
    with torch.no_grad():
        out = tta.test_step(pseudo_collate([pipeline(dict(img_path=path))]))[0]

        mean = torch.tensor(MEAN).view(3, 1, 1)
        std = torch.tensor(STD).view(3, 1, 1)
        masks, cls = torch.zeros(4, 32, 48), torch.zeros(3)
        for s in scales:
            im = cv2.resize(img, (int(48 * s + .5), int(32 * s + .5)),
                            interpolation=cv2.INTER_CUBIC)
            t = torch.from_numpy(im[..., ::-1].copy()).permute(2, 0, 1)
            t = ((t.float() - mean) / std)[None]
            pair = torch.cat([t, t.flip(-1)])
            feats = model.extract_feat(pair)
            _, m, c = model.decode_head.forward_single(feats)
            m = F.interpolate(m, t.shape[2:], mode='bilinear',
                              align_corners=True)
            m = m[0] + m[1].flip(-1)
            masks += F.interpolate(m[None], (32, 48), mode='bilinear',
                                   align_corners=True)[0]
            cls += (c[0] + c[1]) / 2
        masks /= 2 * len(scales)
        cls /= len(scales)
    torch.testing.assert_close(out.seg_logits.data, masks, rtol=1e-4,
                               atol=1e-5)
    torch.testing.assert_close(out.img_cls_logits, cls, rtol=1e-4, atol=1e-5)
    keep = select_classes(cls, 0.3, 2)
    scores = masks.clone()
    scores[1:] *= keep.view(-1, 1, 1)
    scores[0] = scores[0] ** 3
    assert torch.equal(out.pred_sem_seg.data[0], scores.argmax(0))


@pytest.mark.parametrize('mode,gate,faithful', [('wsss', True, False),
                                                ('wsss', False, False),
                                                ('semi', True, True)])
def test_batched_seg_loss_equals_one_ce_per_logits(mode, gate, faithful):
    """The seg loss scores the three logits in one batch; it equals the
    sum of one class-balanced CE (and class-count gate) per logits."""
    model = tiny_slrnet(mode, pseudo_batch_gate=gate, faithful=faithful)
    torch.manual_seed(1)
    logits = [torch.randn(3, 4, 8, 8, dtype=torch.float64)
              for _ in range(3)]
    label = torch.randint(0, 4, (3, 32, 32))
    label[0, :4] = 255
    label[2] = torch.where(label[2] == 3, 0, label[2])  # class 3 absent
    target = label_to_onehot(label, 4).double()
    labels = torch.tensor([[1., 1., 1.], [1., 0., 1.], [1., 1., 0.]],
                          dtype=torch.float64)
    labeled = torch.tensor([True, False, False])
    weights = (1., 1., 0.4)
    out = model._seg_loss(logits, weights, target, labels, labeled)
    expected = 0
    for w, lg in zip(weights, logits):
        plain = balanced_mask_ce(lg, target, batch_gate=False)
        gated = balanced_mask_ce(lg, target, labels, batch_gate=True)
        use_gate = (labeled if faithful else torch.zeros_like(labeled)) | (
            ~labeled if gate else torch.zeros_like(labeled))
        expected = expected + w * torch.where(use_gate, gated, plain)
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
    if gate:  # sample 1 misses class 2 of its labels: gated to zero
        assert out[1] == 0 and out[2] > 0


def test_background_cue_pseudo_labels():
    """With ``bg_cue`` the blank pixels of the input become background
    before the cut-offs, the others keep their foreground masks."""
    model = tiny_slrnet(bg_cue=dict(window=3, max_range=0.1),
                        pamr=dict(num_iter=0, dilations=(1, )),
                        pseudo_label=dict(type='relative', bg_factor=0.7,
                                          fg_factor=0.6, low=0.2))
    raw = torch.ones(1, 3, 8, 8)
    raw[0, :, 2:4, 1:7] = 0.  # a text line: rows 1-4 are not blank
    masks = torch.zeros(1, 4, 8, 8)
    masks[0, 0] = 0.05  # the network never predicts background
    masks[0, 1] = 0.55
    masks[0, 1, :, 4:] = 0.2
    masks[0, 2] = 0.4
    masks[0, 2, :, 4:] = 0.75
    labels = torch.tensor([[1., 1., 0.]])
    out = model._pseudo_labels(masks, raw, labels)
    blank = torch.ones(8, 8, dtype=torch.bool)
    blank[1:5, 0:8] = False  # 3x3 windows touching the line
    # blank: background; ink: class 1 (> 0.6 * 0.55) on the left, class 2
    # (> 0.6 * 0.75) on the right; class 3 is not a label
    expected = torch.zeros(8, 8, dtype=torch.long)
    expected[~blank] = 1
    expected[1:5, 4:] = 2
    label = out.argmax(1)[0]
    assert torch.equal(out.sum(1)[0], torch.ones(8, 8))  # none ignored
    assert torch.equal(label, expected)
    # without the cue the background never wins (all pixels foreground)
    model.bg_cue = None
    assert model._pseudo_labels(masks, raw, labels)[:, 0].sum() == 0
