# Copyright (c) docseg_mm contributors. All rights reserved.
import ast
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from docseg_mm.models.necks.docsam_pixel_decoder import DocSAMPixelDecoder
from docseg_mm.registry import MODELS

REPO_ROOT = Path(__file__).resolve().parents[3]
KEY_DIR = REPO_ROOT / 'tests' / 'data' / 'checkpoint_keys'
PREFIXES = {
    'mask2former.model.pixel_level_module.decoder.': '',
    'mask2former.model.pixel_level_module.feat_merge.': 'feat_merge.',
}
TINY = dict(
    in_channels=[16, 32, 64, 128],
    feat_channels=32,
    num_encoder_layers=2,
    num_heads=4,
    num_points=2,
    ffn_channels=64,
    pos_table_size=16,
    fusion_mid_channels=16,
    norm_cfg=dict(type='GN', num_groups=8))


def tiny_decoder() -> DocSAMPixelDecoder:
    torch.manual_seed(0)
    decoder = DocSAMPixelDecoder(**TINY)
    decoder.init_weights()
    return decoder.eval()


def tiny_feats(batch: int = 2):
    """Backbone maps of a 64x96 input at strides 4, 8, 16, 32."""
    torch.manual_seed(1)
    return [
        torch.randn(batch, c, 64 // s, 96 // s)
        for c, s in zip(TINY['in_channels'], (4, 8, 16, 32))
    ]


def group_norm(x: torch.Tensor, groups: int, eps: float = 1e-5):
    """GroupNorm with unit weight and zero bias, written out."""
    b, c, h, w = x.shape
    g = x.reshape(b, groups, -1)
    mean = g.mean(-1, keepdim=True)
    var = ((g - mean)**2).mean(-1, keepdim=True)
    return ((g - mean) / torch.sqrt(var + eps)).reshape(b, c, h, w)


def conv1x1(x: torch.Tensor, conv) -> torch.Tensor:
    out = torch.einsum('oc,bchw->bohw', conv.weight[:, :, 0, 0], x)
    if conv.bias is not None:
        out = out + conv.bias[None, :, None, None]
    return out


def resize(x: torch.Tensor, size) -> torch.Tensor:
    return F.interpolate(x, size=size, mode='bilinear', align_corners=False)


def checkpoint_shapes(name: str) -> dict:
    shapes = {}
    for line in (KEY_DIR / name).read_text().splitlines():
        key, shape = line.split('\t')
        for prefix, new in PREFIXES.items():
            if key.startswith(prefix):
                shapes[new + key[len(prefix):]] = tuple(
                    ast.literal_eval(shape))
    return shapes


@pytest.mark.parametrize('name,in_channels', [
    ('docsam_base_state_dict_keys.txt', [128, 256, 512, 1024]),
    ('docsam_large_state_dict_keys.txt', [192, 384, 768, 1536]),
])
def test_state_dict_matches_checkpoint(name, in_channels):
    if not (KEY_DIR / name).exists():
        pytest.fail(f'{name} not available')
    expected = checkpoint_shapes(name)
    decoder = DocSAMPixelDecoder(in_channels=in_channels)
    ours = {k: tuple(v.shape) for k, v in decoder.state_dict().items()}
    assert len(expected) == 135
    assert ours == expected


def test_output_sizes():
    decoder = MODELS.build(dict(type='DocSAMPixelDecoder', **TINY))
    with torch.no_grad():
        outs, mask_features = decoder(tiny_feats())
    assert [tuple(o.shape) for o in outs] == [(2, 32, 2, 3), (2, 32, 4, 6),
                                              (2, 32, 8, 12), (2, 32, 16, 24)]
    assert mask_features.shape == (2, 32, 16, 24)


def test_encoder_inputs_match_hand_computation():
    decoder = tiny_decoder()
    table = decoder.position_embedding
    with torch.no_grad():
        table.position_embed_x.weight.copy_(torch.randn(16, 16))
        table.position_embed_y.weight.copy_(torch.randn(16, 16))
        decoder.position_projector[0].weight.copy_(
            2 * torch.eye(32)[:, :, None, None])
        decoder.level_embed.copy_(torch.arange(3.)[:, None].expand(3, 32))
    captured = {}

    def fake_encoder(query, query_pos, shapes):
        captured.update(query=query, query_pos=query_pos, shapes=shapes)
        return query

    decoder.encoder.forward = fake_encoder
    feats = tiny_feats()
    # image 0 fills the input, image 1 is 40x72 (padded to 64x96)
    boxes = torch.tensor([[0., 0., 96., 64.], [0., 0., 72., 40.]])
    with torch.no_grad():
        decoder(feats, boxes)

    xw = table.position_embed_x.weight.detach()
    yw = table.position_embed_y.weight.detach()
    grid = torch.empty(1, 32, 16, 16)
    grid[0, :16] = xw.T[:, None, :].expand(16, 16, 16)  # channel, row, col
    grid[0, 16:] = yw.T[:, :, None].expand(16, 16, 16)
    pos = torch.zeros(2, 32, 16, 24)  # stride-4 grid, boxes / 4
    pos[0] = resize(grid, (16, 24))[0]
    pos[1, :, :10, :18] = resize(grid, (10, 18))[0]
    pos = 2 * pos

    assert captured['shapes'] == [(2, 3), (4, 6), (8, 12)]
    queries, positions = [], []
    for level, size in enumerate(captured['shapes']):
        x, proj = feats[3 - level], decoder.input_projections[level]
        queries.append(group_norm(conv1x1(x, proj[0]), 8))
        positions.append(resize(pos, size) + level)
    flat = [
        torch.cat([t.flatten(2).transpose(1, 2) for t in ts], 1)
        for ts in (queries, positions)
    ]
    torch.testing.assert_close(
        captured['query'], flat[0], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(captured['query_pos'], flat[1])


def test_stride4_level_is_fpn_without_relu():
    decoder = tiny_decoder()
    decoder.encoder.forward = lambda query, query_pos, shapes: query
    feats = tiny_feats()
    with torch.no_grad():
        outs, mask_features = decoder(feats)
        s8 = group_norm(conv1x1(feats[1], decoder.input_projections[2][0]), 8)
        lateral = group_norm(
            conv1x1(feats[0], decoder.lateral_convolutions[0][0]), 8)
        merged = lateral + resize(s8, (16, 24))
        expected = group_norm(
            F.conv2d(
                merged, decoder.output_convolutions[0][0].weight, padding=1),
            8)
        fused = decoder.feat_merge(outs, (16, 24))
    torch.testing.assert_close(outs[2], s8, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(outs[3], expected, atol=1e-4, rtol=1e-4)
    assert (outs[3] < 0).float().mean() > 0.3  # no ReLU after the conv
    torch.testing.assert_close(mask_features, fused)


def perturb_attention(decoder: DocSAMPixelDecoder) -> None:
    """Give offsets/weights a query dependence, as after training.

    At initialisation both linear maps have zero weights, so the positional
    embedding cannot influence the output.
    """
    torch.manual_seed(2)
    with torch.no_grad():
        for layer in decoder.encoder.layers:
            for lin in (layer.self_attn.sampling_offsets,
                        layer.self_attn.attention_weights):
                lin.weight.normal_(std=0.1)


def test_default_boxes_cover_whole_input():
    decoder = tiny_decoder()
    perturb_attention(decoder)
    feats = tiny_feats()
    with torch.no_grad():
        outs_a, mask_a = decoder(feats)
        outs_b, mask_b = decoder(feats, torch.tensor([[0., 0., 96., 64.]] * 2))
        outs_c, _ = decoder(feats, torch.tensor([[0., 0., 48., 32.]] * 2))
    for a, b in zip(outs_a, outs_b):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(mask_a, mask_b)
    assert not torch.allclose(outs_a[0], outs_c[0])


def test_init_weights_and_gradients():
    decoder = tiny_decoder().train()
    attn = decoder.encoder.layers[1].self_attn
    assert attn.sampling_offsets.weight.abs().sum() == 0
    assert attn.attention_weights.weight.abs().sum() == 0
    # head h points along angle 2*pi*h/4, scaled to the unit square
    offsets = attn.sampling_offsets.bias.view(4, 3, 2, 2)
    torch.testing.assert_close(offsets[1, 2, 1], torch.tensor([0., 2.]))
    torch.testing.assert_close(offsets[2, 0, 0], torch.tensor([-1., 0.]))
    assert decoder.level_embed.abs().sum() > 0
    assert decoder.input_projections[0][0].bias.abs().sum() == 0

    perturb_attention(decoder)
    outs, mask_features = decoder(tiny_feats())
    (sum(o.square().mean() for o in outs) + mask_features.mean()).backward()
    no_grad = {
        name
        for name, p in decoder.named_parameters()
        if p.grad is None or p.grad.abs().sum() == 0
    }
    # the LayerNorm of the position table is kept for checkpoint keys only
    assert no_grad == {
        'position_embedding.norm.weight', 'position_embedding.norm.bias'
    }


def test_channels_last_equals_contiguous():
    decoder = tiny_decoder()
    feats = tiny_feats()
    boxes = torch.tensor([[0., 0., 96., 64.], [0., 0., 80., 48.]])
    with torch.no_grad():
        outs, mask_features = decoder(feats, boxes)
        decoder.channels_last = True
        decoder.feat_merge.channels_last = True
        outs_cl, mask_cl = decoder(feats, boxes)
    assert mask_cl.is_contiguous(memory_format=torch.channels_last)
    assert outs_cl[-1].is_contiguous(memory_format=torch.channels_last)
    for a, b in zip(outs + [mask_features], outs_cl + [mask_cl]):
        assert torch.allclose(a, b, atol=1e-5, rtol=1e-5)
    cfg = dict(TINY, type='DocSAMPixelDecoder', channels_last=True)
    assert MODELS.build(cfg).feat_merge.channels_last
