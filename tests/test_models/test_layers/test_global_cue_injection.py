# Copyright (c) docseg_mm contributors. All rights reserved.
import torch

from docseg_mm.models.layers import GlobalCueInjection, StochasticGate


def test_stochastic_gate_test_time_mix():
    gate = StochasticGate(0.3).eval()
    x1, x2 = torch.randn(2, 3, 4, 5), torch.randn(2, 3, 4, 5)
    assert torch.allclose(gate(x1, x2), 0.7 * x1 + 0.3 * x2)


def test_stochastic_gate_training_draws():
    torch.manual_seed(0)
    gate = StochasticGate(0.3).train()
    x1 = torch.full((200000, ), 2.0)
    x2 = torch.full((200000, ), -1.0)
    out = gate(x1, x2)
    deep = (2.0 + 0.3) / 0.7  # (x1 - a x2) / (1 - a)
    picked_deep = torch.isclose(out, torch.tensor(deep))
    picked_shallow = out == -1.0
    assert bool((picked_deep | picked_shallow).all())
    assert abs(picked_deep.float().mean().item() - 0.7) < 0.005
    assert abs(out.mean().item() - 2.0) < 0.02  # E[x] = x1


def test_gci_formula():
    torch.manual_seed(0)
    gci = GlobalCueInjection(3, 2, 2).eval()
    for bn in (gci.deep_proj.bn, gci.skip_norm, gci.out_proj.bn):
        bn.running_mean.uniform_(-.5, .5)
        bn.running_var.uniform_(.5, 2.)
    shallow, deep = torch.randn(1, 3, 4, 4), torch.randn(1, 2, 4, 4)
    out = gci(shallow, deep)

    def bn(m, x):
        y = (x - m.running_mean[:, None, None]) / torch.sqrt(
            m.running_var[:, None, None] + m.eps)
        if m.affine:
            y = y * m.weight[:, None, None] + m.bias[:, None, None]
        return y

    conv = lambda w, x: torch.einsum('oc,chw->ohw', w[:, :, 0, 0], x)
    d = torch.relu(bn(gci.deep_proj.bn, conv(gci.deep_proj.conv.weight,
                                              deep[0])))
    attrs = d.flatten(1).max(1)[0]
    gamma, beta = attrs[:2], attrs[2:]
    s = bn(gci.skip_norm, conv(gci.skip_proj.weight, shallow[0]))
    s = torch.relu(s * (gamma[:, None, None] + 1) + beta[:, None, None])
    ref = torch.relu(bn(gci.out_proj.bn, conv(gci.out_proj.conv.weight, s)))
    assert torch.allclose(out[0], ref, atol=1e-6)
