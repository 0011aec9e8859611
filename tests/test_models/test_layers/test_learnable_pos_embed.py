# Copyright (c) docseg_mm contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

from docseg_mm.models.layers.learnable_pos_embed import \
    LearnablePositionEmbedding2d

ROWS, COLS, DIMS = 4, 6, 4


def make_table(**kwargs) -> LearnablePositionEmbedding2d:
    """A 4x6 table with 4 channels and hand-set weights."""
    table = LearnablePositionEmbedding2d(ROWS, COLS, DIMS, **kwargs)
    with torch.no_grad():
        # x table: column c -> (c, 10c); y table: row r -> (-r, r*r)
        cols = torch.arange(COLS, dtype=torch.float32)
        rows = torch.arange(ROWS, dtype=torch.float32)
        table.position_embed_x.weight.copy_(torch.stack([cols, 10 * cols], 1))
        table.position_embed_y.weight.copy_(torch.stack([-rows, rows**2], 1))
    return table


def hand_grid() -> torch.Tensor:
    """The (1, 4, 4, 6) grid written out element by element."""
    grid = torch.empty(1, DIMS, ROWS, COLS)
    for r in range(ROWS):
        for c in range(COLS):
            grid[0, :, r, c] = torch.tensor([c, 10 * c, -r, r * r])
    return grid


def test_parameter_names_and_shapes():
    table = LearnablePositionEmbedding2d()
    shapes = {k: tuple(v.shape) for k, v in table.state_dict().items()}
    assert shapes == {
        'position_embed_x.weight': (256, 128),
        'position_embed_y.weight': (256, 128),
        'norm.weight': (256, ),
        'norm.bias': (256, ),
    }


def test_grid_puts_x_channels_first():
    torch.testing.assert_close(make_table().grid(), hand_grid())


def test_box_of_table_size_copies_table_and_zeroes_outside():
    table = make_table()
    # box (x1, y1, x2, y2) = (1, 2, 7, 6): exactly 4 rows x 6 columns
    out = table(torch.tensor([[1., 2., 7., 6.]]), (7, 9))
    assert out.shape == (1, DIMS, 7, 9)
    torch.testing.assert_close(out[:, :, 2:6, 1:7], hand_grid())
    outside = torch.ones(7, 9, dtype=torch.bool)
    outside[2:6, 1:7] = False
    assert (out[0][:, outside] == 0).all()


def test_box_region_is_bilinear_resize_of_table():
    table = make_table()
    boxes = torch.tensor([[1., 2., 5., 5.], [0., 0., 8., 6.]])
    out = table(boxes, (6, 8))
    expected0 = F.interpolate(
        hand_grid(), size=(3, 4), mode='bilinear', align_corners=False)
    expected1 = F.interpolate(
        hand_grid(), size=(6, 8), mode='bilinear', align_corners=False)
    torch.testing.assert_close(out[0:1, :, 2:5, 1:5], expected0)
    torch.testing.assert_close(out[1:2], expected1)
    assert out[0, :, :2].abs().sum() == 0 and out[0, :, 5:].abs().sum() == 0
    assert out[0, :, :, :1].abs().sum() == 0
    assert out[0, :, :, 5:].abs().sum() == 0
    # columns stretched by 8/6: output column 0 samples source 6/8*0.5-0.5
    # < 0, clamped to column 0 -> x channel 0
    assert out[1, 0, 0, 0] == 0
    # output column 4 samples source (4.5)*0.75-0.5 = 2.875 -> 2.875
    assert out[1, 0, 0, 4].item() == pytest.approx(2.875)


def test_one_pixel_box_averages_table_centre():
    table = make_table()
    # floors to (2, 1, 2, 1) -> widened to one pixel at row 1, column 2
    out = table(torch.tensor([[2.3, 1.7, 2.6, 1.9]]), (3, 4))
    # 1x1 bilinear resize samples the table centre (row 1.5, column 2.5)
    expected = torch.tensor([2.5, 25., -1.5, (1 + 4) / 2])
    torch.testing.assert_close(out[0, :, 1, 2], expected)
    assert out.abs().sum().item() == pytest.approx(expected.abs().sum().item())


def test_box_is_clamped_to_map():
    table = make_table()
    out = table(torch.tensor([[-3., -2., 100., 50.]]), (5, 7))
    expected = F.interpolate(
        hand_grid(), size=(5, 7), mode='bilinear', align_corners=False)
    torch.testing.assert_close(out, expected)
    # a box entirely right of the map keeps one column at the border
    out = table(torch.tensor([[20., 0., 30., 5.]]), (5, 7))
    assert out[0, :, :, :6].abs().sum() == 0
    assert out[0, 0, :, 6].abs().sum() > 0


@pytest.mark.parametrize('rounding,cols', [('floor', (0, 3)),
                                           ('round', (1, 4))])
def test_rounding_modes(rounding, cols):
    table = make_table(rounding=rounding)
    out = table(torch.tensor([[0.6, 0., 3.6, 4.]]), (4, 6))
    # channel 2 (= -row) is nonzero in rows 1..3 of every column of the box
    nonzero = (out[0, 2] != 0).any(0)
    filled = torch.zeros(6, dtype=torch.bool)
    filled[cols[0]:cols[1]] = True
    assert torch.equal(nonzero, filled)


def test_normalize_applies_layer_norm_over_channels():
    table = make_table(normalize=True)
    grid = table.grid()[0]  # (C, R, W)
    vec = hand_grid()[0, :, 3, 5]
    expected = (vec - vec.mean()) / torch.sqrt(vec.var(unbiased=False) + 1e-5)
    torch.testing.assert_close(grid[:, 3, 5], expected)


@pytest.mark.parametrize('box,size', [((0., 0., 80., 60.), (64, 96)),
                                      ((3.7, 5.2, 41.9, 33.3), (40, 50)),
                                      ((0., 0., 300., 260.), (260, 300))])
def test_separable_resize_equals_bilinear_resize_of_grid(box, size):
    """The 1-D resizes of the two tables equal the bilinear resize of the
    whole 2-D grid (the computation they replace), values and gradients."""
    torch.manual_seed(0)
    table = LearnablePositionEmbedding2d(32, 48, 8)
    boxes = torch.tensor([box])
    out = table(boxes, size)
    # old computation: resize the full grid into the box
    x1, y1, x2, y2 = (int(v) for v in box)
    x2, y2 = min(x2, size[1]), min(y2, size[0])
    ref = torch.zeros(1, 8, *size)
    ref[0, :, y1:y2, x1:x2] = F.interpolate(
        table.grid(), (y2 - y1, x2 - x1), mode='bilinear',
        align_corners=False)[0]
    assert torch.allclose(out, ref, atol=1e-6)
    w = torch.randn(out.shape)
    gx, gy = torch.autograd.grad((out * w).sum(), [
        table.position_embed_x.weight, table.position_embed_y.weight])
    rx, ry = torch.autograd.grad((ref * w).sum(), [
        table.position_embed_x.weight, table.position_embed_y.weight])
    assert torch.allclose(gx, rx, atol=1e-4)
    assert torch.allclose(gy, ry, atol=1e-4)
