# Copyright (c) docseg_mm contributors. All rights reserved.
"""Foreground hints: DINO/AlignSeg ``process_attentions`` against a numpy /
scipy implementation, and the pseudo-layout (seg map) alternative."""
import math

import numpy as np
import torch
from scipy import ndimage

from docseg_mm.datasets.transforms.layout_mask_ops import HOLE_FLAG
from docseg_mm.models import (CLSAttentionHint, SegMapHint,
                              attention_to_foreground)


def reference_foreground(att, threshold=0.6, ksize=7, sigma=0.6):
    """Separable Gaussian with reflect padding (torchvision's), top mass,
    8-connected components of <= 2 tokens removed (skimage label's)."""
    x = np.arange(ksize) - (ksize - 1) / 2
    k = np.exp(-0.5 * (x / sigma)**2)
    k /= k.sum()
    pad = ksize // 2
    p = np.pad(att, pad, mode='reflect')
    rows = np.stack([np.convolve(r, k, mode='valid') for r in p])
    blurred = np.stack([np.convolve(c, k, mode='valid') for c in rows.T]).T
    flat = blurred.ravel()
    order = np.argsort(flat, kind='stable')
    cum = np.cumsum(flat[order] / flat.sum())
    keep = np.zeros(flat.size, bool)
    keep[order] = cum > 1 - threshold
    keep = keep.reshape(att.shape)
    labels, num = ndimage.label(keep, structure=np.ones((3, 3)))
    for i in range(1, num + 1):
        if (labels == i).sum() <= 2:
            keep[labels == i] = False
    return keep


def test_attention_to_foreground_matches_reference():
    rng = np.random.default_rng(0)
    maps = rng.random((4, 14, 14)).astype(np.float32) ** 4
    out = attention_to_foreground(torch.from_numpy(maps)).numpy()
    for m, o in zip(maps, out):
        np.testing.assert_array_equal(o, reference_foreground(m))


def test_isolated_peak_is_removed_and_blob_kept():
    att = np.full((14, 14), 1e-3, np.float32)
    att[3:8, 3:8] = 1.0  # a blob holding most of the mass
    att[12, 12] = 2.0  # a single-token spike, away from the blob
    fg = attention_to_foreground(torch.from_numpy(att)[None])[0].numpy()
    assert fg[5, 5] and not fg[12, 12] and not fg[0, 13]
    kept = attention_to_foreground(torch.from_numpy(att)[None],
                                   min_component=1)[0].numpy()
    assert kept[12, 12]  # in the top mass, dropped as a 1-token component


def test_cls_hint_averages_heads():
    g = torch.Generator().manual_seed(1)
    attn = torch.rand(2, 6, 14 * 14, generator=g) ** 3
    hint = CLSAttentionHint()(grid=(14, 14), attentions=attn)
    for b in range(2):
        ref = reference_foreground(attn[b].mean(0).reshape(14, 14).numpy())
        np.testing.assert_array_equal(hint[b].numpy(), ref)


def test_seg_map_hint_fraction_and_layout_ink():
    maps = torch.zeros(1, 4, 4, dtype=torch.int32)
    maps[0, :2, :2] = 1  # token (0, 0): all ink
    maps[0, 0, 2] = 1  # token (0, 1): 1/4 ink
    maps[0, 2:, :2] = 3 + HOLE_FLAG  # token (1, 0): hole of object 3
    fg = SegMapHint(min_fraction=0.25)(grid=(2, 2), seg_maps=maps)[0]
    assert fg.tolist() == [[True, True], [True, False]]
    ink = SegMapHint(mode='layout_ink', min_fraction=0.5)(
        grid=(2, 2), seg_maps=maps)[0]
    assert ink.tolist() == [[True, False], [False, False]]
    assert math.isclose(HOLE_FLAG, 1 << 15)
