# Copyright (c) docseg_mm contributors. All rights reserved.
"""SLRNet's cross-view low-rank (CVLR) module."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from docseg_mm.registry import MODELS


def l2norm(x: Tensor, dim: int) -> Tensor:
    """``x / (1e-6 + ||x||)`` along ``dim`` (SLRNet's ``l2norm``)."""
    return x / (1e-6 + x.norm(dim=dim, keepdim=True))


def init_dictionary(features: Tensor, logits: Tensor) -> Tensor:
    """Soft class prototypes from features and (auxiliary) logits.

    ``P = softmax_K(logits)`` normalised over pixels
    (``P_k / (sum_n P_k(n) + 1e-6)``), then ``D0 = X P^T``.

    Args:
        features (Tensor): ``(B, C, H, W)`` features ``X``.
        logits (Tensor): ``(B, K, H, W)`` logits (K = rank).

    Returns:
        Tensor: ``(B, K, C)`` initial dictionary.
    """
    p = logits.flatten(2).softmax(1)
    p = p / (p.sum(-1, keepdim=True) + 1e-6)
    return torch.bmm(p, features.flatten(2).transpose(1, 2))


@MODELS.register_module()
class CrossViewLowRank(BaseModule):
    """Collective matrix factorisation of the views' concatenated tokens.

    With tokens ``X`` (``(B, N, C)``, the views' pixels concatenated) and an
    initial dictionary ``D0`` (``(B, K, C)``)::

        X' = W1 X ;  D = l2norm_C(W1 D0)
        repeat num_iters:  Z = softmax_K(scale * D X'^T)       (B, K, N)
                           A = (Z + eps) / sum_N (Z + eps)
                           D = l2norm_C(A X')
        out = relu(X + W2 relu(Z^T D))

    ``W1`` / ``W2`` are ``in_proj`` / ``out_proj`` (``transform1`` /
    ``transform2`` in the original). Gradients flow through the iterations;
    the caller detaches ``D0``.

    Args:
        channels (int): Token channels. Defaults to 256.
        num_iters (int): Factorisation iterations. Defaults to 1.
        temperature (float): Softmax temperature (``scale = 1 / t``).
            Defaults to 1.0.
        eps (float): Code smoothing. Defaults to 1e-6.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 channels: int = 256,
                 num_iters: int = 1,
                 temperature: float = 1.0,
                 eps: float = 1e-6,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_iters = num_iters
        self.scale = 1.0 / temperature
        self.eps = eps
        self.in_proj = nn.Linear(channels, channels)
        self.out_proj = nn.Linear(channels, channels)

    def forward(self,
                tokens: Tensor,
                dictionary: Tensor,
                num_iters: Optional[int] = None
                ) -> Tuple[Tensor, Tensor, Tensor]:
        """Factorise and reconstruct.

        Args:
            tokens (Tensor): ``(B, N, C)`` tokens.
            dictionary (Tensor): ``(B, K, C)`` initial dictionary.
            num_iters (int, optional): Overrides ``self.num_iters``
                (e.g. at test time). Defaults to None.

        Returns:
            tuple: ``out`` (B, N, C), codes ``Z`` (B, K, N) and the final
            dictionary (B, K, C).
        """
        iters = self.num_iters if num_iters is None else num_iters
        if iters < 1:
            raise ValueError(f'num_iters must be >= 1, got {iters}')
        x = self.in_proj(tokens)
        d = l2norm(self.in_proj(dictionary), dim=-1)
        codes = d
        for _ in range(iters):
            codes = (torch.bmm(d, x.transpose(1, 2)) * self.scale).softmax(1)
            attn = codes + self.eps
            attn = attn / attn.sum(-1, keepdim=True)
            d = l2norm(torch.bmm(attn, x), dim=-1)
        recon = F.relu(torch.bmm(codes.transpose(1, 2), d))
        return F.relu(tokens + self.out_proj(recon)), codes, d
