# Copyright (c) docseg_mm contributors. All rights reserved.
import math

import torch
from mmengine.structures import InstanceData

from docseg_mm.models.utils.docsam_postprocess import (postprocess_instances,
                                                       postprocess_semantic,
                                                       rescale_predictions)


def _logit(p):
    return math.log(p / (1 - p))


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


def _cls_logits(probs):
    # log-probabilities: softmax gives the probabilities back exactly.
    return torch.tensor(probs).log()


def test_threshold_mask_score_and_drops():
    cls_logits = _cls_logits([
        [0.7, 0.2, 0.1],  # kept, label 0
        [0.005, 0.004, 0.991],  # score 0.005 < 0.01: dropped
        [0.1, 0.6, 0.3],  # kept, label 1
        [0.5, 0.1, 0.4],  # empty mask: dropped
    ])
    mask_logits = torch.full((4, 4, 6), -6.)
    mask_logits[0, 0, 0:3] = _logit(0.9)
    mask_logits[0, 1, 0:3] = _logit(0.7)
    mask_logits[1] = 5.
    mask_logits[2, 2:4, 3:6] = _logit(0.6)
    mask_logits[2, 3, 0] = 0.  # probability exactly 0.5: not in the mask
    bboxes = torch.tensor([[4., 8., 12., 16.], [0., 0., 1., 1.],
                           [0., 0., 24., 16.], [0., 0., 2., 2.]])
    res = postprocess_instances(
        cls_logits, mask_logits, bboxes, in_size=(16, 24), out_size=(4, 6))

    assert len(res) == 2
    exp0 = torch.zeros(4, 6, dtype=torch.bool)
    exp0[0:2, 0:3] = True
    exp2 = torch.zeros(4, 6, dtype=torch.bool)
    exp2[2:4, 3:6] = True
    assert torch.equal(res.masks, torch.stack([exp0, exp2]))
    # class score x mean mask probability: 0.7 * 0.8 and 0.6 * 0.6
    torch.testing.assert_close(res.scores, torch.tensor([0.56, 0.36]))
    assert res.labels.tolist() == [0, 1]
    torch.testing.assert_close(
        res.bboxes, torch.tensor([[1., 2., 3., 4.], [0., 0., 6., 4.]]))


def test_keeps_best_query_when_none_passes():
    cls_logits = _cls_logits([[0.004, 0.005, 0.991], [0.008, 0.002, 0.99]])
    mask_logits = torch.full((2, 2, 2), _logit(0.75))
    res = postprocess_instances(cls_logits, mask_logits, torch.zeros(2, 4),
                                (8, 8), (2, 2))
    assert len(res) == 1
    assert res.labels.tolist() == [0]
    torch.testing.assert_close(res.scores, torch.tensor([0.008 * 0.75]))
    assert res.masks.all()


def test_bilinear_upsampling():
    # align_corners=False: [-4, 4] -> [-4, -2, 2, 4] along x.
    cls_logits = _cls_logits([[0.9, 0.05, 0.05]])
    mask_logits = torch.tensor([[[-4., 4.]]])
    res = postprocess_instances(
        cls_logits,
        mask_logits,
        torch.tensor([[2., 2., 6., 4.]]),
        in_size=(4, 8),
        out_size=(2, 4))
    assert res.masks.tolist() == [[[False, False, True, True]] * 2]
    mean_prob = (_sigmoid(2.) + _sigmoid(4.)) / 2
    torch.testing.assert_close(res.scores, torch.tensor([0.9 * mean_prob]))
    torch.testing.assert_close(res.bboxes, torch.tensor([[1., 1., 3., 2.]]))


def test_anisotropic_bbox_rescale():
    res = postprocess_instances(
        _cls_logits([[0.9, 0.1]]),
        torch.full((1, 5, 5), 3.),
        torch.tensor([[4., 2., 10., 5.]]),
        in_size=(10, 20),
        out_size=(20, 10))
    assert res.masks.shape == (1, 20, 10) and res.masks.all()
    torch.testing.assert_close(res.bboxes, torch.tensor([[2., 4., 5., 10.]]))


def test_nms_and_max_per_img():
    cls_logits = _cls_logits([[0.1, 0.8, 0.1], [0.05, 0.9, 0.05],
                              [0.2, 0.7, 0.1]])
    mask_logits = torch.full((3, 8, 8), -5.)
    mask_logits[0:2, 0:4, 0:4] = 5.  # duplicates of one object
    mask_logits[2, 5:8, 5:8] = 5.
    bboxes = torch.tensor([[0., 0., 4., 4.], [0., 0., 4., 4.],
                           [5., 5., 8., 8.]])
    res = postprocess_instances(cls_logits, mask_logits, bboxes, (8, 8),
                                (8, 8))
    p = _sigmoid(5.)
    torch.testing.assert_close(res.scores, torch.tensor([0.9 * p, 0.7 * p]))
    assert res.labels.tolist() == [1, 1]
    torch.testing.assert_close(res.bboxes, bboxes[1:])
    res = postprocess_instances(
        cls_logits, mask_logits, bboxes, (8, 8), (8, 8), max_per_img=1)
    assert len(res) == 1 and res.labels.tolist() == [1]
    torch.testing.assert_close(res.scores, torch.tensor([0.9 * p]))


def test_empty_results():
    res = postprocess_instances(
        _cls_logits([[0.6, 0.4]]), torch.full((1, 4, 4), -3.),
        torch.zeros(1, 4), (4, 4), (8, 8))
    assert len(res) == 0
    assert res.masks.shape == (0, 8, 8) and res.bboxes.shape == (0, 4)
    res = postprocess_instances(
        torch.zeros(0, 3), torch.zeros(0, 4, 4), torch.zeros(0, 4), (4, 4),
        (8, 8))
    assert len(res) == 0 and res.labels.dtype == torch.long


def test_postprocess_semantic():
    sem_logits = torch.tensor([[[1., -1.], [0., 2.]], [[-1., -1.], [3., -3.]],
                               [[5., 5.], [5., 5.]]])  # background slot
    out = postprocess_semantic(sem_logits, (2, 2))
    assert out.tolist() == [[[True, False], [False, True]],
                            [[False, False], [True, False]]]
    up = torch.tensor([[[-4., 4.]], [[9., 9.]]])
    assert postprocess_semantic(
        up, (2, 4)).tolist() == [[[False, False, True, True]] * 2]
    # sigmoid(2) = 0.88 < 0.9 < sigmoid(4) = 0.98
    assert postprocess_semantic(
        up, (1, 4), thr=0.9).tolist() == [[[False, False, False, True]]]


def test_rescale_by_hand():
    inst = InstanceData(
        bboxes=torch.tensor([[10., 20., 30., 40.], [0., 0., 8., 4.]]),
        scores=torch.tensor([0.9, 0.5]),
        labels=torch.tensor([0, 1]),
        masks=torch.zeros(2, 8, 8, dtype=torch.bool))
    inst.masks[0, :4, :4] = True
    inst.masks[1, 4:, 2:6] = True
    sem = torch.zeros(1, 8, 8, dtype=torch.bool)
    sem[0, 2:6, 0:4] = True
    meta = dict(ori_shape=(4, 4), scale_factor=(2.0, 4.0))
    inst, sem = rescale_predictions(inst, sem, meta)
    # x / 2, y / 4
    assert torch.allclose(inst.bboxes,
                          torch.tensor([[5., 5., 15., 10.], [0., 0., 4., 1.]]))
    # 8x8 -> 4x4 bilinear (align_corners=False) averages 2x2 cells
    m0 = torch.zeros(4, 4, dtype=torch.bool)
    m0[:2, :2] = True
    m1 = torch.zeros(4, 4, dtype=torch.bool)
    m1[2:, 1:3] = True
    assert torch.equal(inst.masks[0], m0) and torch.equal(inst.masks[1], m1)
    s0 = torch.zeros(4, 4, dtype=torch.bool)
    s0[1:3, 0:2] = True
    assert torch.equal(sem[0], s0)

    empty = InstanceData(
        bboxes=torch.zeros(0, 4), scores=torch.zeros(0),
        labels=torch.zeros(0, dtype=torch.long),
        masks=torch.zeros(0, 8, 8, dtype=torch.bool))
    empty, sem = rescale_predictions(empty, torch.zeros(2, 3, 5, dtype=torch.bool),
                                 dict(ori_shape=(6, 10)))
    assert empty.masks.shape == (0, 6, 10)
    assert sem.shape == (2, 6, 10)
