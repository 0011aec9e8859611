# Copyright (c) docseg_mm contributors. All rights reserved.
"""The CVLR step against the factorisation written with plain matrix
products (numpy)."""
import numpy as np
import torch

from docseg_mm.models.layers import CrossViewLowRank, init_dictionary


def _softmax(a, axis):
    e = np.exp(a - a.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _l2(a):  # rows
    return a / (1e-6 + np.linalg.norm(a, axis=1, keepdims=True))


def _reference(X, D0, W1, b1, W2, b2, iters, eps=1e-6):
    Xp = X @ W1.T + b1                       # (N, C)
    D = _l2(D0 @ W1.T + b1)                  # (K, C)
    for _ in range(iters):
        Z = _softmax(D @ Xp.T, 0)            # (K, N), softmax over K
        A = (Z + eps) / (Z + eps).sum(1, keepdims=True)
        D = _l2(A @ Xp)
    R = np.maximum(Z.T @ D, 0)               # (N, C)
    return np.maximum(X + R @ W2.T + b2, 0), Z, D


def _module(C, rng):
    m = CrossViewLowRank(C).double()
    W1, b1, W2, b2 = (rng.normal(size=s) for s in [(C, C), C, (C, C), C])
    with torch.no_grad():
        m.in_proj.weight.copy_(torch.from_numpy(W1))
        m.in_proj.bias.copy_(torch.from_numpy(b1))
        m.out_proj.weight.copy_(torch.from_numpy(W2))
        m.out_proj.bias.copy_(torch.from_numpy(b2))
    return m, (W1, b1, W2, b2)


def test_cvlr_matches_matrix_products():
    rng = np.random.default_rng(0)
    C, N, K = 4, 7, 3
    m, W = _module(C, rng)
    X, D0 = rng.normal(size=(N, C)), rng.normal(size=(K, C))
    for iters in (1, 3):
        out, Z, D = m(torch.from_numpy(X)[None], torch.from_numpy(D0)[None],
                      num_iters=iters)
        r_out, r_Z, r_D = _reference(X, D0, *W, iters)
        np.testing.assert_allclose(out[0].detach().numpy(), r_out,
                                   rtol=1e-10)
        np.testing.assert_allclose(Z[0].detach().numpy(), r_Z, rtol=1e-10)
        np.testing.assert_allclose(D[0].detach().numpy(), r_D, rtol=1e-10)


def test_init_dictionary_formula():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3, 2, 2))   # (C, H, W)
    L = rng.normal(size=(4, 2, 2))   # (K, H, W)
    P = _softmax(L.reshape(4, -1), 0)
    P = P / (P.sum(1, keepdims=True) + 1e-6)
    expected = P @ X.reshape(3, -1).T  # (K, C)
    out = init_dictionary(torch.from_numpy(X)[None], torch.from_numpy(L)[None])
    np.testing.assert_allclose(out[0].numpy(), expected, rtol=1e-10)


def test_views_share_one_dictionary():
    """Collective factorisation: view 2's codes depend on view 1's tokens
    through the shared dictionary update."""
    rng = np.random.default_rng(2)
    m, W = _module(4, rng)
    x1, x2 = rng.normal(size=(5, 4)), rng.normal(size=(3, 4))
    D0 = rng.normal(size=(2, 4))
    _, Z, _ = m(torch.from_numpy(np.concatenate([x1, x2]))[None],
                torch.from_numpy(D0)[None], num_iters=2)
    _, Z_alone, _ = m(torch.from_numpy(x2)[None], torch.from_numpy(D0)[None],
                      num_iters=2)
    r_out, r_Z, _ = _reference(np.concatenate([x1, x2]), D0, *W, 2)
    np.testing.assert_allclose(Z[0, :, 5:].detach().numpy(), r_Z[:, 5:],
                               rtol=1e-10)
    assert not np.allclose(Z[0, :, 5:].detach().numpy(),
                           Z_alone[0].detach().numpy())
