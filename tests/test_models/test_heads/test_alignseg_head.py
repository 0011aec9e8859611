# Copyright (c) docseg_mm contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

from docseg_mm.models import AlignSegHead

C = 12


@pytest.fixture
def head():
    torch.manual_seed(0)
    h = AlignSegHead(in_channels=C, num_queries=4, num_layers=1, num_heads=3,
                     feedforward_channels=16)
    h.init_weights()
    return h


def test_init_prototypes_standard_normal():
    torch.manual_seed(0)
    h = AlignSegHead(in_channels=64, num_queries=200, num_heads=4,
                     feedforward_channels=8)
    h.init_weights()
    w = h.queries.weight
    w = w.detach()
    assert abs(float(w.mean())) < 0.05 and abs(float(w.std()) - 1) < 0.05


def test_loss_averages_over_local_crops(head):
    g = torch.Generator().manual_seed(1)
    tokens = [torch.randn(2, 9, C, generator=g) for _ in range(3)]
    fg = [torch.rand(2, 9, generator=g) > 0.3 for _ in range(3)]
    losses = head.loss_by_feat(tokens, fg)
    q = [head(t) for t in tokens]
    corr = sum(head.loss_corr(tokens[0], tokens[i], q[0], q[i], fg[0], fg[i])
               for i in (1, 2)) / 2
    query = sum(head.loss_query(q[0], q[i])[0] for i in (1, 2)) / 2
    torch.testing.assert_close(losses['loss_corr'], corr)
    torch.testing.assert_close(losses['loss_query'], query)
    assert 'loss_balance' not in losses  # off by default (the original)
    with pytest.raises(ValueError):
        head.loss_by_feat(tokens[:1], fg[:1])


def test_loss_balance_over_all_crops():
    torch.manual_seed(0)
    h = AlignSegHead(in_channels=C, num_queries=4, num_heads=3,
                     feedforward_channels=16, token_centering=True,
                     loss_balance=dict(type='ClusterBalanceLoss',
                                       loss_weight=2., temperature=0.5))
    h.init_weights()
    g = torch.Generator().manual_seed(2)
    tokens = [torch.randn(2, 9, C, generator=g) + 3 for _ in range(3)]
    fg = [torch.rand(2, 9, generator=g) > 0.3 for _ in range(3)]
    loss = h.loss_by_feat(tokens, fg)['loss_balance']
    # Independent: crop i is centred by the running mean after it, i.e. the
    # mean of the tokens of crops 0..i (equal sizes); cosine to the adapted
    # prototypes, softmax of the clamped cosines / 0.5, mean over the
    # foreground tokens of a crop, entropy deficit, mean over the 3 crops.
    h.eval()
    expected = 0.
    for i, (t, m) in enumerate(zip(tokens, fg)):
        t = t - torch.cat([x.reshape(-1, C) for x in tokens[:i + 1]]).mean(0)
        cos = F.cosine_similarity(t[:, :, None], h(t)[:, None], dim=-1)
        p = (cos.clamp(min=0) / 0.5).softmax(-1)[m].mean(0)
        expected += 2. * (torch.log(torch.tensor(4.)) + (p * p.log()).sum())
    torch.testing.assert_close(loss, expected / 3, rtol=1e-4, atol=1e-6)


def test_predict_modes(head):
    g = torch.Generator().manual_seed(2)
    feats = torch.randn(1, C, 3, 4, generator=g)
    meta = dict(ori_shape=(6, 8), img_shape=(48, 64),
                batch_input_shape=(48, 64))
    tokens = feats.flatten(2).transpose(1, 2)
    cos = F.cosine_similarity(tokens[:, :, None], head(tokens)[:, None],
                              dim=-1)  # (1, N, K)
    probs = cos.softmax(-1).transpose(1, 2).reshape(1, -1, 3, 4)

    head.upsample = 'nearest'
    res = head.predict(feats, [meta])[0]
    token_argmax = probs.argmax(1)[0]  # (3, 4)
    # nearest 3x4 -> 48x64 -> 6x8 == each token repeated 2x2
    expected = token_argmax.repeat_interleave(2, 0).repeat_interleave(2, 1)
    assert torch.equal(res['pred'][0], expected)
    torch.testing.assert_close(res['assignment'], cos[0].T.reshape(-1, 3, 4))

    head.upsample = 'bilinear'
    res = head.predict(feats, [meta])[0]
    up = F.interpolate(probs, (48, 64), mode='bilinear', align_corners=False)
    up = F.interpolate(up, (6, 8), mode='bilinear', align_corners=False)
    torch.testing.assert_close(res['seg_probs'], up[0])
    assert torch.equal(res['pred'][0], up[0].argmax(0))


def test_predict_crops_padding(head):
    feats = torch.randn(1, C, 4, 4)
    # valid image: top-left 32x48 of a 64x64 padded input
    meta = dict(ori_shape=(32, 48), img_shape=(32, 48),
                batch_input_shape=(64, 64))
    head.upsample = 'nearest'
    res = head.predict(feats, [meta])[0]
    tokens = feats.flatten(2).transpose(1, 2)
    arg = head.assignment(tokens, head(tokens))[0].argmax(-1).reshape(4, 4)
    full = arg.repeat_interleave(16, 0).repeat_interleave(16, 1)
    assert torch.equal(res['pred'][0], full[:32, :48])


def test_token_centering_running_mean_and_equivalence():
    torch.manual_seed(0)
    kw = dict(in_channels=C, num_queries=4, num_heads=3,
              feedforward_channels=16)
    plain = AlignSegHead(**kw)
    centred = AlignSegHead(token_centering=True, **kw)
    centred.load_state_dict(plain.state_dict(), strict=False)
    g = torch.Generator().manual_seed(3)
    batches = [[torch.randn(2, 9, C, generator=g) + 5 for _ in range(3)]
               for _ in range(2)]
    fg = [torch.ones(2, 9, dtype=torch.bool)] * 3
    for tokens in batches:
        centred.loss_by_feat(tokens, fg)
    seen = torch.cat([t.reshape(-1, C) for b in batches for t in b])
    torch.testing.assert_close(centred.token_mean, seen.mean(0))
    assert int(centred.num_tokens) == len(seen)
    # The head on raw tokens == the plain head on mean-subtracted tokens,
    # and evaluation does not move the mean.
    centred.eval()
    plain.eval()
    feats = torch.randn(1, C, 3, 3, generator=g) + 5
    mean = centred.token_mean.clone()
    meta = [dict(ori_shape=(3, 3), img_shape=(3, 3),
                 batch_input_shape=(3, 3))]
    a = centred.predict(feats, meta)[0]['assignment']
    b = plain.predict(feats - mean[:, None, None], meta)[0]['assignment']
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(centred.token_mean, mean)
    tokens = batches[0]
    torch.testing.assert_close(
        AlignSegHead.loss_by_feat(centred, tokens, fg)['loss_corr'],
        plain.loss_by_feat([t - mean for t in tokens], fg)['loss_corr'])
