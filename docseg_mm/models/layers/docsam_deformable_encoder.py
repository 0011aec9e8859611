# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.ops import MultiScaleDeformableAttention
from mmdet.utils import OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor


def pixel_centre_reference_points(
        spatial_shapes: Sequence[Tuple[int, int]],
        batch_size: int,
        device: Optional[torch.device] = None,
        dtype: torch.dtype = torch.float32) -> Tensor:
    """Normalised pixel centres of flattened multi-level maps.

    Query ``k`` at row ``i`` and column ``j`` of a level of size (H, W) gets
    the point ``((j + 0.5) / W, (i + 0.5) / H)``, repeated for every level
    (valid ratios of 1: no padding mask is used).

    Args:
        spatial_shapes (Sequence[Tuple[int, int]]): (H, W) of each level in
            the order of the flattened sequence.
        batch_size (int): Batch size B.
        device (torch.device, optional): Device of the result.
            Defaults to None.
        dtype (torch.dtype): Data type of the result.
            Defaults to torch.float32.

    Returns:
        Tensor: Reference points of shape (B, sum(H*W), num_levels, 2),
        last dimension (x, y).
    """
    points = []
    for height, width in spatial_shapes:
        ys = (torch.arange(height, device=device, dtype=dtype) + 0.5) / height
        xs = (torch.arange(width, device=device, dtype=dtype) + 0.5) / width
        ref_y, ref_x = torch.meshgrid(ys, xs, indexing='ij')
        points.append(torch.stack([ref_x.flatten(), ref_y.flatten()], -1))
    points = torch.cat(points, 0)  # (sum HW, 2)
    return points[None, :, None].expand(batch_size, -1, len(spatial_shapes),
                                        -1)


class DocSAMDeformableEncoderLayer(BaseModule):
    """Post-norm deformable encoder layer of DocSAM's pixel decoder.

    ``x = LN(x + MSDeformAttn(x, pos))`` followed by
    ``x = LN(x + fc2(drop(SiLU(fc1(x)))))``. The attribute names match the
    released checkpoint (``self_attn``, ``self_attn_layer_norm``, ``fc1``,
    ``fc2``, ``final_layer_norm``).

    Args:
        embed_dims (int): Feature channels. Defaults to 256.
        num_heads (int): Attention heads. Defaults to 8.
        num_levels (int): Feature levels attended. Defaults to 3.
        num_points (int): Sampling points per head and level.
            Defaults to 4.
        ffn_channels (int): Hidden channels of the FFN. Defaults to 1024.
        dropout (float): Dropout after the attention, inside the FFN and
            after it. Defaults to 0.0.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 num_levels: int = 3,
                 num_points: int = 4,
                 ffn_channels: int = 1024,
                 dropout: float = 0.0,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        # mmcv's module adds the identity (residual) and applies the
        # dropout itself; query_pos only enters offsets and weights.
        self.self_attn = MultiScaleDeformableAttention(
            embed_dims=embed_dims,
            num_heads=num_heads,
            num_levels=num_levels,
            num_points=num_points,
            dropout=dropout,
            batch_first=True)
        self.self_attn_layer_norm = nn.LayerNorm(embed_dims)
        self.fc1 = nn.Linear(embed_dims, ffn_channels)
        self.activation = nn.SiLU()
        self.fc2 = nn.Linear(ffn_channels, embed_dims)
        self.ffn_dropout = nn.Dropout(dropout)
        self.out_dropout = nn.Dropout(dropout)
        self.final_layer_norm = nn.LayerNorm(embed_dims)

    def forward(self, query: Tensor, query_pos: Tensor,
                reference_points: Tensor, spatial_shapes: Tensor,
                level_start_index: Tensor) -> Tensor:
        """Forward one layer.

        Args:
            query (Tensor): Flattened features, shape (B, N, C).
            query_pos (Tensor): Positional embedding, shape (B, N, C).
            reference_points (Tensor): Normalised (x, y) points, shape
                (B, N, num_levels, 2).
            spatial_shapes (Tensor): (H, W) per level, shape (L, 2), long.
            level_start_index (Tensor): Start of each level, shape (L,).

        Returns:
            Tensor: Updated features, shape (B, N, C).
        """
        query = self.self_attn(
            query=query,
            value=query,
            query_pos=query_pos,
            reference_points=reference_points,
            spatial_shapes=spatial_shapes,
            level_start_index=level_start_index)
        query = self.self_attn_layer_norm(query)
        ffn = self.fc2(self.ffn_dropout(self.activation(self.fc1(query))))
        query = self.final_layer_norm(query + self.out_dropout(ffn))
        if self.training and not torch.isfinite(query).all():
            # Same safeguard as the original: keep values representable.
            limit = torch.finfo(query.dtype).max - 1000
            query = query.clamp(min=-limit, max=limit)
        return query


class DocSAMDeformableEncoder(BaseModule):
    """Stack of :class:`DocSAMDeformableEncoderLayer` (attribute ``layers``).

    Args:
        num_layers (int): Number of layers. Defaults to 6.
        layer_cfg (dict, optional): Keyword arguments of every layer.
            Defaults to None (the layer defaults).
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 num_layers: int = 6,
                 layer_cfg: Optional[dict] = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        layer_cfg = layer_cfg or {}
        self.layers = nn.ModuleList([
            DocSAMDeformableEncoderLayer(**layer_cfg)
            for _ in range(num_layers)
        ])

    def forward(self, query: Tensor, query_pos: Tensor,
                spatial_shapes: List[Tuple[int, int]]) -> Tensor:
        """Run all layers over flattened multi-level features.

        Args:
            query (Tensor): Flattened features of all levels, (B, N, C).
            query_pos (Tensor): Positional embedding (level embedding
                included), (B, N, C).
            spatial_shapes (list[tuple[int, int]]): (H, W) of each level in
                the order of the sequence.

        Returns:
            Tensor: Encoded features, (B, N, C).
        """
        shapes = torch.as_tensor(
            spatial_shapes, dtype=torch.long, device=query.device)
        level_sizes = shapes.prod(1)
        level_start_index = level_sizes.cumsum(0) - level_sizes
        reference_points = pixel_centre_reference_points(
            spatial_shapes, query.shape[0], query.device, query.dtype)
        for layer in self.layers:
            query = layer(query, query_pos, reference_points, shapes,
                          level_start_index)
        return query
