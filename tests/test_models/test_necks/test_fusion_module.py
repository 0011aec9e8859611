# Copyright (c) docseg_mm contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

from docseg_mm.models.necks.fusion_module import MultiLevelFusion


def standardise(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Per-sample, per-channel standardisation of (B, C, H, W)."""
    mean = x.mean((2, 3), keepdim=True)
    var = ((x - mean)**2).mean((2, 3), keepdim=True)
    return (x - mean) / torch.sqrt(var + eps)


def centre_tap(weight: torch.Tensor, matrix) -> None:
    """Make a 3x3 conv a pure channel mix ``matrix`` (out x in)."""
    weight.zero_()
    weight[:, :, 1, 1] = torch.tensor(matrix, dtype=weight.dtype)


def test_parameter_names_and_shapes():
    fusion = MultiLevelFusion()
    shapes = {k: tuple(v.shape) for k, v in fusion.state_dict().items()}
    expected = {'fusion.0.weight': (256, 512, 3, 3)}
    for name in ('fusion.1.weight', 'fusion.1.bias'):
        expected[name] = (256, )
    for i in range(4):
        expected[f'branches.{i}.0.weight'] = (128, 256, 3, 3)
        expected[f'branches.{i}.1.weight'] = (128, )
        expected[f'branches.{i}.1.bias'] = (128, )
    assert shapes == expected


def test_fusion_matches_hand_computation():
    torch.manual_seed(0)
    # one channel per group: GroupNorm = per-channel standardisation
    fusion = MultiLevelFusion(
        2, 2, 2, num_branches=2, norm_cfg=dict(type='GN', num_groups=2))
    with torch.no_grad():
        centre_tap(fusion.branches[0][0].weight, [[1., 0.], [0., 1.]])
        centre_tap(fusion.branches[1][0].weight, [[0., 2.], [1., 0.]])
        # out0 = level0[ch0] + level1[ch0]; out1 = level0[ch1] - level1[ch1]
        centre_tap(fusion.fusion[0].weight,
                   [[1., 0., 1., 0.], [0., 1., 0., -1.]])
    feats = [torch.randn(2, 2, 4, 6), torch.randn(2, 2, 2, 3)]
    out = fusion(feats, (4, 6))

    a = standardise(feats[0])
    b = standardise(torch.stack([2 * feats[1][:, 1], feats[1][:, 0]], 1))
    b = F.interpolate(b, size=(4, 6), mode='bilinear', align_corners=False)
    mixed = torch.stack([a[:, 0] + b[:, 0], a[:, 1] - b[:, 1]], 1)
    expected = standardise(mixed)
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5)
    # no activation anywhere: standardised maps keep negative values
    assert (out < 0).any()


def test_upsampling_is_bilinear_half_pixel():
    fusion = MultiLevelFusion(
        1, 1, 1, num_branches=1, norm_cfg=dict(type='GN', num_groups=1))
    with torch.no_grad():
        centre_tap(fusion.branches[0][0].weight, [[1.]])
        centre_tap(fusion.fusion[0].weight, [[1.]])
    x = torch.tensor([[[[0., 1.]]]])  # 1x2 -> 1x4
    out = fusion([x], (1, 4))
    # x2 upsampling with align_corners=False: 0, 0.25, 0.75, 1 of the
    # standardised input (-1, 1) -> -1, -0.5, 0.5, 1, then standardised
    up = torch.tensor([-1., -0.5, 0.5, 1.]) * (1 / (1 + 1e-5))**0.5
    expected = (up - up.mean()) / torch.sqrt(up.var(unbiased=False) + 1e-5)
    torch.testing.assert_close(out.flatten(), expected, rtol=1e-5, atol=1e-5)


def test_wrong_number_of_levels_raises():
    fusion = MultiLevelFusion(
        4, 4, 4, num_branches=2, norm_cfg=dict(type='GN', num_groups=2))
    with pytest.raises(ValueError):
        fusion([torch.zeros(1, 4, 2, 2)], (2, 2))
