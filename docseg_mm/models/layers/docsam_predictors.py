# Copyright (c) docseg_mm contributors. All rights reserved.
"""Mask and class predictors of DocSAM's hybrid query decoder."""
from typing import Optional

import torch
from torch import Tensor, nn

from .docsam_mlp import DocSAMConvMLP, DocSAMMLP


class QueryMaskPredictor(nn.Module):
    """Mask logits as dot products of reduced queries and pixel features.

    ``logits[b, q] = <query_feat_reducer(query[b, q]),
    visual_feat_reducer(pixels[b])>`` at every pixel.

    The original also pools mask-weighted pixel features through a
    ``pixel_feat_reducer`` and discards them; the module is kept (frozen) so
    released checkpoints load without missing keys, but it is not computed.

    Args:
        embed_dims (int): Query and pixel channels. Defaults to 256.
        num_groups (int, optional): GroupNorm groups of the pixel branch.
            Defaults to ``min(32, embed_dims)``.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_groups: Optional[int] = None) -> None:
        super().__init__()
        self.query_feat_reducer = DocSAMMLP(embed_dims, embed_dims,
                                            embed_dims)
        self.visual_feat_reducer = DocSAMConvMLP(
            embed_dims, num_groups=num_groups)
        self.pixel_feat_reducer = DocSAMMLP(embed_dims, embed_dims,
                                            embed_dims)
        self.pixel_feat_reducer.requires_grad_(False)

    def reduce_pixels(self, pixels: Tensor) -> Tensor:
        """Reduced pixel features; constant over the decoder stages, so
        callers compute them once per image batch."""
        return self.visual_feat_reducer(pixels)

    def forward(self,
                queries: Tensor,
                pixels: Optional[Tensor] = None,
                reduced_pixels: Optional[Tensor] = None) -> Tensor:
        """Predict mask logits.

        Args:
            queries (Tensor): ``(B, Q, C)`` query states.
            pixels (Tensor, optional): ``(B, C, H, W)`` pixel embeddings.
            reduced_pixels (Tensor, optional): ``reduce_pixels(pixels)``,
                given instead of ``pixels`` to skip recomputing it.

        Returns:
            Tensor: ``(B, Q, H, W)`` mask logits.
        """
        if reduced_pixels is None:
            reduced_pixels = self.reduce_pixels(pixels)
        q = self.query_feat_reducer(queries)
        return torch.einsum('bqc,bchw->bqhw', q, reduced_pixels)


class DotProductClassPredictor(nn.Module):
    """Instance class logits = reduced instance . reduced semantic queries.

    Because the classifier has no class-specific weights, the same model
    serves any list of class names: the number of output classes is the
    number of semantic queries.

    Args:
        embed_dims (int): Query channels. Defaults to 256.
    """

    def __init__(self, embed_dims: int = 256) -> None:
        super().__init__()
        self.feat_reducer_one = DocSAMMLP(embed_dims, embed_dims, embed_dims)
        self.feat_reducer_two = DocSAMMLP(embed_dims, embed_dims, embed_dims)

    def forward(self, instance_states: Tensor,
                semantic_states: Tensor) -> Tensor:
        """Return ``(B, Q, C)`` logits for ``(B, Q, D)`` / ``(B, C, D)``."""
        a = self.feat_reducer_one(instance_states)
        b = self.feat_reducer_two(semantic_states)
        return torch.einsum('bic,bjc->bij', a, b)
