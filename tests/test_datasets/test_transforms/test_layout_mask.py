# Copyright (c) docseg_mm contributors. All rights reserved.
"""Tests of the SelfDocSeg pseudo-layout mask transforms."""
import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose

from docseg_mm.datasets.transforms import (LayoutMaskToGrid, MultiViewWithKeys,
                                           PseudoLayoutMask,
                                           RandomResizedCropWithSegMap)
from docseg_mm.datasets.transforms.layout_mask_ops import (HOLE_FLAG,
                                                           MAX_OBJECTS,
                                                           find_objects)
from docseg_mm.registry import TRANSFORMS

H, W = 640, 512  # page = working size, so no resampling before the mask
STRIDE = 8
GROW = 2  # erosion radius: iterations * (kernel_size // 2)
# (x0, y0, x1, y1) with exclusive ends, and a unique dark gray per block
BLOCKS = [(40, 40, 120, 80), (200, 120, 440, 200), (64, 480, 160, 560)]
FRAME = (240, 300, 480, 460)
FRAME_WIDTH = 12
VALUES = [0, 40, 80, 120]  # blocks, then the frame
PAPER = 255


def make_page() -> np.ndarray:
    """White page with three filled blocks and one hollow frame."""
    img = np.full((H, W, 3), PAPER, dtype=np.uint8)
    for (x0, y0, x1, y1), v in zip(BLOCKS, VALUES):
        img[y0:y1, x0:x1] = v
    x0, y0, x1, y1 = FRAME
    t = FRAME_WIDTH
    img[y0:y1, x0:x1] = VALUES[3]
    img[y0 + t:y1 - t, x0 + t:x1 - t] = PAPER
    return img


def grown(box, r=GROW, shape=(H, W)) -> np.ndarray:
    """Box grown by ``r`` pixels per side (the rect erosion)."""
    x0, y0, x1, y1 = box
    out = np.zeros(shape, dtype=np.uint8)
    out[max(y0 - r, 0):y1 + r, max(x0 - r, 0):x1 + r] = 1
    return out


def expected_objects(filled: bool) -> list:
    """Full-resolution expected objects (layout-only for the frame hole)."""
    objects = [grown(b) for b in BLOCKS]
    frame = grown(FRAME)
    if not filled:
        t = FRAME_WIDTH
        x0, y0, x1, y1 = FRAME
        frame -= grown((x0 + t, y0 + t, x1 - t, y1 - t), r=-GROW)
    return objects + [frame]


def sample(mask: np.ndarray) -> np.ndarray:
    """Nearest resize by an integer factor, written independently."""
    return mask[::STRIDE, ::STRIDE]


def block_rows() -> list:
    """Object row of each block, read from the source page's id map."""
    seg = PseudoLayoutMask(objects_on='image')(dict(img=make_page()))
    seg = seg['gt_seg_map'].astype(int) & MAX_OBJECTS
    return [seg[y0, x0] - 1 for x0, y0, _, _ in BLOCKS + [FRAME]]


def match_rows(object_masks: np.ndarray, expected: list) -> list:
    """Index of the row equal to each expected mask (must be unique)."""
    rows = []
    for exp in expected:
        hits = [
            i for i, m in enumerate(object_masks) if np.array_equal(m, exp)
        ]
        assert len(hits) == 1
        rows.append(hits[0])
    assert sorted(rows) == list(range(len(expected)))
    return rows


def run(img, objects_on='image', **kwargs):
    out = PseudoLayoutMask(objects_on=objects_on, **kwargs)(dict(img=img))
    return LayoutMaskToGrid(keep_seg_map=True)(out)


@pytest.mark.parametrize('objects_on', ['grid', 'image'])
def test_constructed_page_exact(objects_on):
    out = run(make_page(), objects_on)
    layout = sum(expected_objects(filled=False))
    assert out['layout_mask'].dtype == np.float32
    assert out['layout_mask'].shape == (80, 64)
    np.testing.assert_array_equal(out['layout_mask'], sample(layout))
    objects = out['object_masks']
    assert objects.dtype == np.uint8 and objects.shape == (4, 80, 64)
    rows = match_rows(objects,
                      [sample(m) for m in expected_objects(filled=True)])
    frame = objects[rows[3]].astype(bool)
    hole = frame & (out['layout_mask'] == 0)
    assert hole.sum() > 100  # hole filled in the object, not in the layout
    if objects_on == 'image':
        seg = out['gt_seg_map']  # full-resolution map, exact
        np.testing.assert_array_equal(seg != 0,
                                      sum(expected_objects(filled=True)))
        np.testing.assert_array_equal((seg != 0) & (seg < HOLE_FLAG), layout)


def test_threshold_semantics():
    img = np.full((20, 30, 3), 240, dtype=np.uint8)
    img[5, 7] = 239
    out = run(img, work_size=None, iterations=0)
    seg = out['gt_seg_map']
    assert out['layout_num_objects'] == 1
    assert seg[5, 7] == 1 and np.count_nonzero(seg) == 1
    assert run(
        np.full((20, 30, 3), 240, np.uint8), work_size=None,
        iterations=0)['layout_num_objects'] == 0
    gray = np.full((20, 30), 240, dtype=np.uint8)
    gray[0, 0] = 239
    assert np.count_nonzero(run(gray, work_size=None)['gt_seg_map']) == 9


@pytest.mark.parametrize('shape, size, iters, count, corner, edge', [
    ('rect', 3, 2, 25, True, True),
    ('cross', 3, 2, 13, False, False),
    ('ellipse', 3, 2, 13, False, False),
    ('rect', 5, 1, 25, True, True),
    ('ellipse', 5, 1, 17, False, True),
    ('cross', 5, 1, 9, False, False),
])
def test_kernel_shapes(shape, size, iters, count, corner, edge):
    img = np.full((21, 21, 3), PAPER, dtype=np.uint8)
    img[10, 10] = 0
    seg = run(
        img,
        work_size=None,
        kernel_shape=shape,
        kernel_size=size,
        iterations=iters)['gt_seg_map']
    assert np.count_nonzero(seg) == count
    assert bool(seg[8, 8]) is corner  # diagonal corner of the 5x5 reach
    assert bool(seg[9, 8]) is edge


def check_view(img: np.ndarray, layout: np.ndarray,
               objects: np.ndarray) -> set:
    """Check one warped view; return the blocks it still shows.

    Block ``k`` must be object row ``block_rows()[k]`` in every view.
    """
    objects = objects[block_rows()]
    grid = cv2.resize(
        np.ascontiguousarray(img[..., 0]),
        layout.shape[::-1],
        interpolation=cv2.INTER_NEAREST)
    assert objects.sum(0).max() <= 1  # objects are disjoint
    seen = set()
    for k, v in enumerate(VALUES):
        dark = grid == v
        if dark.any():
            seen.add(k)
        # the dark pixels of block k lie inside object k and are ink
        assert objects[k][dark].all() and layout[dark].all()
        # object k holds nothing but block k and paper (growth ring, hole)
        assert np.isin(grid[objects[k] == 1], [v, PAPER]).all()
    assert (layout <= objects.sum(0)).all()  # every ink pixel has an object
    return seen


def two_views(seed: int, objects_on: str = 'image'):
    np.random.seed(seed)
    view1 = [
        dict(type='mmdet.RandomCrop', crop_size=(300, 400)),
        dict(type='RandomFlip', prob=1.0, direction='horizontal'),
        dict(type='Resize', scale=(512, 640), interpolation='nearest'),
        dict(type='LayoutMaskToGrid'),
    ]
    view2 = [
        dict(
            type='RandomResizedCropWithSegMap',
            scale=(640, 512),
            crop_ratio_range=(0.3, 0.6),
            interpolation='nearest'),
        dict(type='RandomFlip', prob=1.0, direction='vertical'),
        dict(type='LayoutMaskToGrid'),
    ]
    pipeline = Compose([
        dict(type='PseudoLayoutMask', objects_on=objects_on),
        dict(
            type='MultiViewWithKeys',
            num_views=[1, 1],
            transforms=[view1, view2]),
        dict(
            type='mmpretrain.PackInputs',
            algorithm_keys=('layout_mask', 'object_masks')),
    ])
    return pipeline(dict(img=make_page()))


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_views_aligned_and_paired(seed):
    packed = two_views(seed)
    imgs = packed['inputs']
    sample_ = packed['data_samples']
    layout, objects = sample_.layout_mask, sample_.object_masks
    assert layout.shape == (2, 80, 64) and layout.dtype == torch.float32
    assert objects.shape == (2, 4, 80, 64) and objects.dtype == torch.uint8
    assert imgs[0].shape == imgs[1].shape == (3, 640, 512)
    assert not torch.equal(imgs[0], imgs[1])
    shown = []
    for v in range(2):
        img = imgs[v].permute(1, 2, 0).numpy()
        shown.append(check_view(img, layout[v].numpy(), objects[v].numpy()))
    # check_view found each block in the same row of both views
    assert shown[0] & shown[1]
    if seed == 0:  # blocks cropped away in one view only
        assert shown[0] != shown[1]


@pytest.mark.parametrize('cfg', [
    dict(
        type='Resize',
        scale=(300, 200),
        keep_ratio=True,
        interpolation='nearest'),
    dict(type='mmdet.Resize', scale=(300, 200), interpolation='nearest'),
    dict(type='RandomFlip', prob=1.0, direction='vertical'),
    dict(type='mmdet.RandomFlip', prob=1.0),
    dict(type='mmdet.RandomCrop', crop_size=(200, 300)),
    dict(type='CenterCrop', crop_size=(300, 200)),
    dict(type='mmpretrain.RandomFlip', prob=1.0, direction='diagonal'),
    dict(
        type='RandomResizedCropWithSegMap',
        scale=(200, 300),
        interpolation='nearest'),
])
def test_host_transforms_warp_the_map(cfg):
    np.random.seed(3)
    view = Compose([
        dict(type='PseudoLayoutMask', objects_on='image'), cfg,
        dict(type='LayoutMaskToGrid', grid_size=(50, 60))
    ])(
        dict(img=make_page()))
    assert view['img'].shape[:2] != (H, W) or cfg['type'].endswith('Flip')
    assert check_view(view['img'], view['layout_mask'], view['object_masks'])


def test_plain_mmpretrain_crop_and_multiview_drop_the_masks():
    # Guards the reasons for RandomResizedCropWithSegMap / MultiViewWithKeys
    out = Compose([
        dict(type='PseudoLayoutMask', objects_on='image'),
        dict(type='mmpretrain.RandomResizedCrop', scale=200),
    ])(
        dict(img=make_page()))
    assert out['gt_seg_map'].shape != out['img'].shape[:2]
    out = Compose([
        dict(type='PseudoLayoutMask', objects_on='image'),
        dict(
            type='mmpretrain.MultiView',
            num_views=2,
            transforms=[[dict(type='LayoutMaskToGrid')]]),
    ])(
        dict(img=make_page()))
    assert 'layout_mask' not in out and len(out['img']) == 2


def test_shared_masks_before_plain_multiview():
    packed = Compose([
        dict(type='PseudoLayoutMask'),
        dict(type='LayoutMaskToGrid', to_tensor=True),
        dict(
            type='mmpretrain.MultiView',
            num_views=2,
            transforms=[[dict(type='Resize', scale=(512, 640))]]),
        dict(
            type='mmpretrain.PackInputs',
            algorithm_keys=('layout_mask', 'object_masks')),
    ])(
        dict(img=make_page()))
    assert packed['data_samples'].layout_mask.shape == (80, 64)
    assert packed['data_samples'].object_masks.shape == (4, 80, 64)


def test_grid_mode_is_view_dependent():
    view = [
        dict(type='Resize', scale=(512, 640)),
        dict(type='LayoutMaskToGrid')
    ]
    same = Compose([
        dict(type='PseudoLayoutMask'),
        dict(type='MultiViewWithKeys', num_views=2, transforms=[view]),
    ])(
        dict(img=make_page()))
    assert torch.equal(same['object_masks'][0], same['object_masks'][1])
    assert same['object_masks'].shape == (2, 4, 80, 64)
    crop = [
        dict(type='CenterCrop', crop_size=(512, 200)),
        dict(type='LayoutMaskToGrid')
    ]
    wrapper = TRANSFORMS.build(
        dict(
            type='MultiViewWithKeys',
            num_views=[1, 1],
            transforms=[view, crop]))
    with pytest.raises(ValueError, match='objects_on'):
        wrapper(PseudoLayoutMask()(dict(img=make_page())))
    wrapper.stack = False
    out = wrapper(PseudoLayoutMask()(dict(img=make_page())))
    assert [len(o) for o in out['object_masks']] == [4, 1]


def original_recipe(img: np.ndarray):
    """The original's mask and objects, written out step by step."""
    img = cv2.resize(img, (512, 640))
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    _, th = cv2.threshold(gray, 239, 255, cv2.THRESH_BINARY)
    er = cv2.erode(
        th, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)), iterations=2)
    m = cv2.resize(255.0 - er, (64, 80), interpolation=cv2.INTER_NEAREST)
    contours, _ = cv2.findContours(
        m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    objects = []
    for c in contours:
        o = np.zeros(m.shape, dtype=np.uint8)
        cv2.fillPoly(o, pts=[c], color=255)
        objects.append(o // 255)
    return m / 255, objects


def test_grid_mode_matches_original_on_a_noisy_page():
    rng = np.random.default_rng(0)
    img = rng.integers(241, 256, (900, 700, 3), dtype=np.uint8)
    for x, y in rng.integers(0, 690, (150, 2)):
        img[y:y + rng.integers(2, 9), x:x + rng.integers(2, 30)] = 60
    out = run(img, objects_on='grid')
    m, objects = original_recipe(img)
    assert out['img'].shape == (640, 512, 3)
    assert out['scale_factor'] == (512 / 700, 640 / 900)
    np.testing.assert_array_equal(out['layout_mask'], m)
    assert len(objects) > 10
    np.testing.assert_array_equal(out['object_masks'], np.stack(objects))


def test_keep_image_size():
    img = cv2.resize(
        make_page(), (W * 2, H * 2), interpolation=cv2.INTER_NEAREST)
    out = PseudoLayoutMask(resize_img=False, objects_on='image')(dict(img=img))
    assert out['img'].shape == (2 * H, 2 * W, 3)
    assert out['gt_seg_map'].shape == (2 * H, 2 * W)
    assert out['layout_num_objects'] == 4


@pytest.mark.parametrize('objects_on', ['grid', 'image'])
def test_blank_page(objects_on):
    out = run(np.full((H, W, 3), PAPER, np.uint8), objects_on)
    assert out['layout_num_objects'] == 0
    assert out['object_masks'].shape == (0, 80, 64)
    assert not out['layout_mask'].any()
    wrapped = MultiViewWithKeys(
        num_views=2, transforms=[[dict(type='LayoutMaskToGrid')]])(
            PseudoLayoutMask(objects_on=objects_on)(
                dict(img=np.full((H, W, 3), PAPER, np.uint8))))
    assert wrapped['object_masks'].shape == (2, 0, 80, 64)


@pytest.mark.parametrize('objects_on', ['grid', 'image'])
def test_one_pixel_object_survives(objects_on):
    img = np.full((H, W, 3), PAPER, np.uint8)
    img[80, 96] = 0  # grown to 5x5, which covers one grid sample (10, 12)
    out = run(img, objects_on)
    assert out['object_masks'].shape == (1, 80, 64)
    assert out['object_masks'].sum() == 1 and out['object_masks'][0, 10, 12]
    assert out['layout_mask'].sum() == 1
    tiny = np.full((9, 9, 3), PAPER, np.uint8)
    tiny[4, 4] = 0
    out = PseudoLayoutMask(
        work_size=None, iterations=0, objects_on=objects_on)(
            dict(img=tiny))
    out = LayoutMaskToGrid(grid_size=(9, 9))(out)
    assert out['object_masks'].shape == (1, 9, 9)
    assert out['object_masks'][0, 4, 4] == 1 == out['object_masks'].sum()


def test_object_cap_keeps_largest_in_order():
    mask = np.zeros((10, 40), np.uint8)
    for x, w in [(0, 1), (5, 4), (12, 2), (20, 6), (30, 3)]:
        mask[2:2 + w, x:x + w] = 1
    all_ = find_objects(mask)
    kept = find_objects(mask, max_objects=2)
    widths = [cv2.boundingRect(c)[2] for c in kept]
    assert sorted(widths) == [4, 6]
    order = [i for i, c in enumerate(all_) if cv2.boundingRect(c)[2] in widths]
    assert [cv2.boundingRect(all_[i])[2] for i in order] == widths


def test_args_and_repr():
    with pytest.raises(ValueError):
        PseudoLayoutMask(kernel_shape='disk')
    with pytest.raises(ValueError):
        PseudoLayoutMask(objects_on='page')
    with pytest.raises(ValueError):
        LayoutMaskToGrid(objects_on='page')
    for t in ('PseudoLayoutMask', 'LayoutMaskToGrid'):
        assert t in repr(TRANSFORMS.build(dict(type=t)))
    assert isinstance(
        TRANSFORMS.build(dict(type='RandomResizedCropWithSegMap', scale=8)),
        RandomResizedCropWithSegMap)
