# Copyright (c) docseg_mm contributors. All rights reserved.
import pytest
import torch
from mmengine.structures import InstanceData

from docseg_mm.models.utils.sliding_window import (merge_slide_instances,
                                                   merge_slide_semantic,
                                                   slide_window_boxes)

IMAGE = (64, 96)  # H, W; windows of 64 x 64 at stride 32
WIN1 = torch.tensor([0, 0, 64, 64])
WIN2 = torch.tensor([32, 0, 96, 64])


def _rect(y1, y2, x1, x2, size):
    mask = torch.zeros(size, dtype=torch.bool)
    mask[y1:y2, x1:x2] = True
    return mask


def _instances(rects, scores, labels, size):
    """Instances from (y1, y2, x1, x2) rectangles; boxes are the rects."""
    return InstanceData(
        masks=torch.stack([_rect(*r, size)
                           for r in rects]).reshape(len(rects), *size),
        scores=torch.tensor(scores, dtype=torch.float32).reshape(-1),
        labels=torch.tensor(labels, dtype=torch.long).reshape(-1),
        bboxes=torch.tensor([[r[2], r[0], r[3], r[1]] for r in rects],
                            dtype=torch.float32).reshape(-1, 4))


def _empty_thumb():
    return InstanceData(
        masks=torch.zeros((0, *IMAGE), dtype=torch.bool),
        scores=torch.zeros(0),
        labels=torch.zeros(0, dtype=torch.long),
        bboxes=torch.zeros(0, 4))


def test_slide_window_boxes_hand_computed():
    # H=100: y starts 0, 20, 40, 60; W=70: x starts 0, 20, 30 (shifted).
    boxes = slide_window_boxes(100, 70, (40, 40), (20, 20))
    expected = [[x, y, x + 40, y + 40] for y in (0, 20, 40, 60)
                for x in (0, 20, 30)]
    assert boxes.dtype == torch.long
    assert boxes.tolist() == expected
    # Image lower than the patch: one row of the image height.
    assert slide_window_boxes(30, 50, (40, 40),
                              (20, 20)).tolist() == [[0, 0, 40, 30],
                                                     [10, 0, 50, 30]]
    assert slide_window_boxes(
        *IMAGE, (64, 64), (32, 32)).tolist() == [WIN1.tolist(),
                                                 WIN2.tolist()]
    # Stride not dividing the free range, anisotropic patch and stride.
    boxes = slide_window_boxes(100, 30, (40, 30), (25, 10))
    assert boxes.tolist() == [[0, y, 30, y + 40] for y in (0, 25, 50, 60)]
    assert slide_window_boxes(20, 20, (40, 40),
                              (20, 20)).tolist() == [[0, 0, 20, 20]]


def test_slide_window_boxes_defaults_cover_image():
    boxes = slide_window_boxes(1000, 1500)
    assert boxes[:, 1].unique().tolist() == [0, 320, 360]
    assert boxes[:, 0].unique().tolist() == [0, 320, 640, 860]
    assert len(boxes) == 12 and len(boxes.unique(dim=0)) == 12
    assert ((boxes[:, 2:] - boxes[:, :2]) == 640).all()
    cover = torch.zeros(1000, 1500, dtype=torch.bool)
    for x1, y1, x2, y2 in boxes.tolist():
        cover[y1:y2, x1:x2] = True
    assert cover.all()
    with pytest.raises(ValueError):
        slide_window_boxes(10, 10, (4, 4), (0, 2))


def test_merge_keeps_one_copy_of_spanning_object():
    # Object: rows 20..40, cols 24..72 of the image; the windows see
    # cols 24..64 (window 1) and 32..72 (window 2). Both parts are cut by
    # an interior window edge (x 0.5). Pasted IoU = 640 / 960 > 0.5.
    win1 = _instances([(20, 40, 24, 64)], [0.9], [0], (64, 64))
    win2 = _instances([(20, 40, 0, 40)], [0.7], [0], (64, 64))
    res = merge_slide_instances(_empty_thumb(), [(WIN1, win1), (WIN2, win2)],
                                IMAGE)
    assert len(res) == 1
    assert torch.equal(res.masks[0], _rect(20, 40, 24, 64, IMAGE))
    torch.testing.assert_close(res.scores, torch.tensor([0.45]))
    assert res.labels.tolist() == [0]
    torch.testing.assert_close(res.bboxes, torch.tensor([[24., 20., 64.,
                                                          40.]]))

    # With the complete object in the thumbnail (0.8 x 0.75 = 0.6) the
    # thumbnail copy wins (IoU with each half 800 / 960).
    thumb = _instances([(20, 40, 24, 72)], [0.8], [0], IMAGE)
    res = merge_slide_instances(thumb, [(WIN1, win1), (WIN2, win2)], IMAGE)
    assert len(res) == 1
    assert torch.equal(res.masks[0], _rect(20, 40, 24, 72, IMAGE))
    torch.testing.assert_close(res.scores, torch.tensor([0.6]))
    torch.testing.assert_close(res.bboxes, torch.tensor([[24., 20., 72.,
                                                          40.]]))


def test_merge_keeps_distinct_objects_in_overlap():
    # P: rows 4..16, cols 38..50; Q: rows 30..50, cols 40..60 (image
    # coordinates), same class, both fully inside the overlap 32..64 and
    # at least 4 px away from interior window edges.
    win1 = _instances([(4, 16, 38, 50), (30, 50, 40, 60)], [0.8, 0.6], [1, 1],
                      (64, 64))
    win2 = _instances([(4, 16, 6, 18), (30, 50, 8, 28)], [0.7, 0.65], [1, 1],
                      (64, 64))
    res = merge_slide_instances(_empty_thumb(), [(WIN1, win1), (WIN2, win2)],
                                IMAGE)
    assert len(res) == 2
    # Sorted by area (Q: 400 px, P: 144 px), not by score.
    assert torch.equal(res.masks[0], _rect(30, 50, 40, 60, IMAGE))
    assert torch.equal(res.masks[1], _rect(4, 16, 38, 50, IMAGE))
    torch.testing.assert_close(res.scores, torch.tensor([0.65, 0.8]))
    assert res.labels.tolist() == [1, 1]
    torch.testing.assert_close(
        res.bboxes, torch.tensor([[40., 30., 60., 50.], [38., 4., 50., 16.]]))


def test_merge_offsets_and_thumb_factor():
    thumb = _instances([(0, 10, 0, 10)], [0.8], [0], IMAGE)
    win2 = _instances([(20, 30, 20, 30)], [0.5], [0], (64, 64))
    res = merge_slide_instances(
        thumb, [(WIN2, win2)], IMAGE, thumb_score_factor=0.5)
    # Equal areas: ties keep the score order (window 0.5, thumb 0.4).
    assert len(res) == 2
    torch.testing.assert_close(res.scores, torch.tensor([0.5, 0.4]))
    assert torch.equal(res.masks[0], _rect(20, 30, 52, 62, IMAGE))
    assert torch.equal(res.masks[1], _rect(0, 10, 0, 10, IMAGE))
    torch.testing.assert_close(res.bboxes[0],
                               torch.tensor([52., 20., 62., 30.]))


@pytest.mark.parametrize('faithful', [False, True])
def test_border_rule(faithful):
    # a: at the image border (left); b: 3 px from the interior right edge
    # (inclusive x2 = 60 = 64 - 4); c: far from every edge.
    win1 = _instances([(20, 30, 0, 10), (40, 50, 50, 61), (5, 15, 20, 30)],
                      [0.8, 0.8, 0.8], [0, 1, 2], (64, 64))
    res = merge_slide_instances(
        _empty_thumb(), [(WIN1, win1)], IMAGE, faithful=faithful)
    scores = dict(zip(res.labels.tolist(), res.scores.tolist()))
    expected = {
        0: 0.4,
        1: 0.8,
        2: 0.8
    } if faithful else {
        0: 0.8,
        1: 0.4,
        2: 0.8
    }
    assert scores == pytest.approx(expected)
    assert res.labels[0].item() == 1  # largest area (110 px) first


def test_merge_without_windows_and_size_check():
    thumb = _instances([(0, 4, 0, 4), (10, 20, 10, 20)], [0.4, 0.2], [0, 0],
                       IMAGE)
    res = merge_slide_instances(thumb, [], IMAGE)
    torch.testing.assert_close(res.scores, torch.tensor([0.15, 0.3]))
    bad = _instances([(0, 4, 0, 4)], [0.5], [0], (32, 32))
    with pytest.raises(ValueError):
        merge_slide_instances(thumb, [(WIN1, bad)], IMAGE)


def test_merge_slide_semantic():
    # Windows cover cols 0..4 and 2..6 of a 4 x 7 image; col 6 is covered
    # by the thumbnail only.
    thumb = torch.zeros(2, 4, 7, dtype=torch.bool)
    thumb[0, 0] = torch.tensor([1, 1, 1, 1, 0, 1, 1]).bool()
    thumb[1] = True
    w1 = torch.zeros(2, 4, 4, dtype=torch.bool)
    w1[0, 0] = torch.tensor([0, 1, 0, 0]).bool()
    w1[1] = True
    w2 = torch.zeros(2, 4, 4, dtype=torch.bool)
    w2[0, 0] = torch.tensor([1, 0, 1, 1]).bool()
    w2[1] = True
    out = merge_slide_semantic(thumb, [(torch.tensor([0, 0, 4, 4]), w1),
                                       (torch.tensor([2, 0, 6, 4]), w2)],
                               (4, 7))
    # votes / count: 1/2, 2/2, 2/3, 1/3, 1/2, 2/2, 1/1
    assert out[0, 0].tolist() == [False, True, True, False, False, True, True]
    assert not out[0, 1:].any()
    assert out[1].all()
