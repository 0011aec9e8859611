# Copyright (c) docseg_mm contributors. All rights reserved.
import torch
import torch.nn.functional as F

from docseg_mm.models.layers.docsam_deformable_encoder import (
    DocSAMDeformableEncoder, DocSAMDeformableEncoderLayer,
    pixel_centre_reference_points)


def layer_norm(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """LayerNorm over the last dim with unit weight and zero bias."""
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean)**2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


def ffn_by_hand(layer, y: torch.Tensor) -> torch.Tensor:
    """``fc2(SiLU(fc1(y)))`` written with matrix products."""
    h = y @ layer.fc1.weight.T + layer.fc1.bias
    h = h * torch.sigmoid(h)
    return h @ layer.fc2.weight.T + layer.fc2.bias


def zero_sampling(layer: DocSAMDeformableEncoderLayer) -> None:
    """Zero offsets (points at the reference) and uniform weights."""
    attn = layer.self_attn
    with torch.no_grad():
        for lin in (attn.sampling_offsets, attn.attention_weights):
            lin.weight.zero_()
            lin.bias.zero_()


def test_reference_points_are_pixel_centres():
    ref = pixel_centre_reference_points([(2, 3), (1, 2)], batch_size=2)
    assert ref.shape == (2, 8, 2, 2)
    expected = torch.tensor([[1 / 6, 1 / 4], [3 / 6, 1 / 4], [5 / 6, 1 / 4],
                             [1 / 6, 3 / 4], [3 / 6, 3 / 4], [5 / 6, 3 / 4],
                             [1 / 4, 1 / 2], [3 / 4, 1 / 2]])
    for b in range(2):
        for lvl in range(2):
            torch.testing.assert_close(ref[b, :, lvl], expected)


def test_zero_offsets_sample_own_pixel():
    torch.manual_seed(0)
    layer = DocSAMDeformableEncoderLayer(
        embed_dims=8, num_heads=2, num_levels=1, num_points=3,
        ffn_channels=16).eval()
    zero_sampling(layer)
    x = torch.randn(2, 12, 8)
    pos = torch.randn(2, 12, 8)  # cannot matter: offsets/weights are zero
    shapes = torch.tensor([[3, 4]])
    ref = pixel_centre_reference_points([(3, 4)], 2)
    out = layer(x, pos, ref, shapes, torch.tensor([0]))

    attn = layer.self_attn
    # every point samples the query's own pixel -> mean of equal values
    value = x @ attn.value_proj.weight.T + attn.value_proj.bias
    y = layer_norm(x + value @ attn.output_proj.weight.T +
                   attn.output_proj.bias)
    expected = layer_norm(y + ffn_by_hand(layer, y))
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


def test_uniform_weights_average_levels():
    torch.manual_seed(1)
    layer = DocSAMDeformableEncoderLayer(
        embed_dims=4, num_heads=2, num_levels=2, num_points=2,
        ffn_channels=8).eval()
    zero_sampling(layer)
    attn = layer.self_attn
    with torch.no_grad():  # identity projections expose the sampling
        attn.value_proj.weight.copy_(torch.eye(4))
        attn.value_proj.bias.zero_()
        attn.output_proj.weight.copy_(torch.eye(4))
        attn.output_proj.bias.zero_()
    x = torch.randn(1, 5, 4)  # level 0: 2x2, level 1: 1x1
    ref = pixel_centre_reference_points([(2, 2), (1, 1)], 1)
    out = layer(x, torch.zeros_like(x), ref, torch.tensor([[2, 2], [1, 1]]),
                torch.tensor([0, 4]))

    lvl0, lvl1 = x[0, :4], x[0, 4]
    sampled = torch.empty(5, 4)
    # level-0 queries: own pixel on level 0; on the 1x1 level the point
    # (0.25 or 0.75 in x and y) lies a quarter pixel off the centre in both
    # directions, the rest is zero padding -> 0.75 * 0.75 * value
    for k in range(4):
        sampled[k] = 0.5 * (lvl0[k] + 0.5625 * lvl1)
    # level-1 query at (0.5, 0.5): centre of the 2x2 map -> mean of 4
    sampled[4] = 0.5 * (lvl0.mean(0) + lvl1)
    y = layer_norm(x[0] + sampled)
    expected = layer_norm(y + ffn_by_hand(layer, y))
    torch.testing.assert_close(out[0], expected, rtol=1e-5, atol=1e-5)


def test_offsets_are_x_first_and_in_pixels():
    torch.manual_seed(2)
    layer = DocSAMDeformableEncoderLayer(
        embed_dims=4, num_heads=1, num_levels=1, num_points=2,
        ffn_channels=8).eval()
    zero_sampling(layer)
    attn = layer.self_attn
    with torch.no_grad():
        # every point moves one pixel to the right: (dx, dy) = (1, 0)
        attn.sampling_offsets.bias.copy_(torch.tensor([1., 0., 1., 0.]))
        attn.value_proj.weight.copy_(torch.eye(4))
        attn.value_proj.bias.zero_()
        attn.output_proj.weight.copy_(torch.eye(4))
        attn.output_proj.bias.zero_()
    x = torch.randn(1, 6, 4)  # a 2x3 map
    ref = pixel_centre_reference_points([(2, 3)], 1)
    out = layer(x, torch.zeros_like(x), ref, torch.tensor([[2, 3]]),
                torch.tensor([0]))
    grid = x[0].view(2, 3, 4)
    right = torch.zeros_like(grid)
    right[:, :2] = grid[:, 1:]  # beyond the border: zero padding
    y = layer_norm(x[0] + right.view(6, 4))
    expected = layer_norm(y + ffn_by_hand(layer, y))
    torch.testing.assert_close(out[0], expected, rtol=1e-5, atol=1e-5)


def test_encoder_chains_layers():
    torch.manual_seed(3)
    encoder = DocSAMDeformableEncoder(
        num_layers=2,
        layer_cfg=dict(
            embed_dims=8,
            num_heads=2,
            num_levels=2,
            num_points=2,
            ffn_channels=16)).eval()
    shapes = [(2, 3), (1, 2)]
    x, pos = torch.randn(2, 8, 8), torch.randn(2, 8, 8)
    out = encoder(x, pos, shapes)
    ref = pixel_centre_reference_points(shapes, 2)
    spatial = torch.tensor(shapes)
    start = torch.tensor([0, 6])
    expected = x
    for layer in encoder.layers:
        expected = layer(expected, pos, ref, spatial, start)
    torch.testing.assert_close(out, expected)
    assert not torch.allclose(out, F.layer_norm(x, (8, )))
