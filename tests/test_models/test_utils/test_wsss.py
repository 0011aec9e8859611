# Copyright (c) docseg_mm contributors. All rights reserved.
"""Mask classifier formula, pseudo-label cut-offs, class selection."""
import math

import pytest
import torch

from docseg_mm.models.utils import (blank_background_cue, label_to_onehot,
                                    mask_classifier_logits, max_onehot,
                                    pseudo_labels_absolute,
                                    pseudo_labels_relative, select_classes)


def test_mask_classifier_formula():
    # one image, 2 channels (bg, fg), 2 pixels
    x = torch.tensor([[[[1.0, 3.0]], [[2.0, -1.0]]]])
    m = torch.tensor([[[[0.6, 0.2]], [[0.4, 0.8]]]])
    out = mask_classifier_logits(x, m)
    # fg: gwp = (2*0.4 + -1*0.8) / (1 + 1.2) = 0; mean m = 0.6
    expected = 0.0 + (1 - 0.6) ** 3 * math.log(0.01 + 0.6)
    assert out.shape == (1, 1)
    assert out.item() == pytest.approx(expected, rel=1e-6)
    full = mask_classifier_logits(x, m, has_background=False)
    bg = (1 * 0.6 + 3 * 0.2) / (1 + 0.8) + 0.6 ** 3 * math.log(0.41)
    assert full[0, 0].item() == pytest.approx(bg, rel=1e-6)


def test_pseudo_labels_relative_cutoffs():
    # 3 channels (bg, a, b), 4 pixels
    masks = torch.tensor([[
        [0.9, 0.1, 0.5, 0.62],   # bg: thr = max(0.2, 0.7 * 0.9) = 0.63
        [0.0, 0.8, 0.5, 0.1],    # a:  thr = max(0.2, 0.6 * 0.8) = 0.48
        [0.0, 0.1, 0.1, 0.3],    # b:  thr = max(0.2, 0.6 * 0.3) = 0.2
    ]]).view(1, 3, 1, 4)
    out = pseudo_labels_relative(masks)
    expected = torch.tensor([[1, 0, 0, 0],     # pixel 3: bg 0.62 < 0.63
                             [0, 1, 1, 0],
                             [0, 0, 0, 1]]).float().view(1, 3, 1, 4)
    assert torch.equal(out, expected)
    # other cut-offs from the config: fg 0.9 -> a's threshold 0.72 drops
    # pixel 2; low 0.35 raises b's threshold and drops pixel 3
    out = pseudo_labels_relative(masks, bg_factor=0.7, fg_factor=0.9,
                                 low=0.35)
    assert out[0, :, 0].tolist() == [[1, 0, 0, 0], [0, 1, 0, 0],
                                     [0, 0, 0, 0]]
    # a pixel claimed by two classes is ignored
    amb = torch.tensor([[[[1.0]], [[0.9]], [[0.0]]]])
    assert pseudo_labels_relative(amb).sum() == 0


def test_pseudo_labels_absolute():
    masks = torch.tensor([[[0.5, 0.5, 0.5],
                           [0.8, 0.3, 0.05],
                           [0.0, 0.0, 0.04]]]).view(1, 3, 1, 3)
    out = pseudo_labels_absolute(masks, fg_thr=0.5, bg_thr=0.1)
    # normalised a = [1, .375, .0625], b = [0, 0, 1]
    assert out[0, :, 0].tolist() == [[0, 0, 0], [1, 0, 0], [0, 0, 1]]


def test_max_onehot_and_label_onehot():
    z = torch.tensor([[[[0.2]], [[0.5]], [[0.3]]]], requires_grad=True)
    out = max_onehot(z)
    assert out.flatten().tolist() == [0.0, 0.5, 0.0]
    out.sum().backward()
    assert z.grad.flatten().tolist() == [0.0, 1.0, 0.0]
    lab = torch.tensor([[[0, 2, 255]]])
    oh = label_to_onehot(lab, 3)
    assert oh[0, :, 0].tolist() == [[1, 0, 0], [0, 0, 0], [0, 1, 0]]


def test_select_classes_fp_cut_and_topk():
    logits = torch.logit(torch.tensor([0.9, 0.2, 0.5, 0.7, 0.35]))
    assert select_classes(logits, 0.3, None).tolist() == [1, 0, 1, 1, 1]
    assert select_classes(logits, 0.3, 2).tolist() == [1, 0, 0, 1, 0]
    assert select_classes(logits, 0.6, 6).tolist() == [1, 0, 0, 1, 0]


def _blank_loop(img, window, max_range):
    """The cue pixel by pixel: grey range over the clipped window."""
    grey = img.mean(0)
    h, w = grey.shape
    r = window // 2
    out = torch.zeros(h, w)
    for i in range(h):
        for j in range(w):
            win = grey[max(0, i - r):i + r + 1, max(0, j - r):j + r + 1]
            out[i, j] = float(win.max() - win.min() < max_range)
    return out


@pytest.mark.parametrize('window', [1, 3, 5])
def test_blank_background_cue_brute_force(window):
    torch.manual_seed(0)
    img = torch.ones(2, 3, 9, 11)
    img[0, :, 2, 3] = 0.0  # one ink pixel
    img[1, :, 5:7, 1:9] = torch.rand(3, 2, 8)  # a textured block
    img[1, 0, 0, 10] = 0.95  # a faint speck below the range
    out = blank_background_cue(img, window, 0.1)
    assert out.shape == (2, 1, 9, 11)
    for b in range(2):
        assert torch.equal(out[b, 0], _blank_loop(img[b], window, 0.1))
    # the ink pixel spoils exactly its window (a 1-pixel window never sees
    # a range)
    assert out[0, 0].sum() == (99 - window * window if window > 1 else 99)
    with pytest.raises(ValueError, match='odd'):
        blank_background_cue(img, 4)
