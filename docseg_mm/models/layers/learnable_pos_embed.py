# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from docseg_mm.registry import MODELS

SizeType = Tuple[int, int]  # (H, W)


@MODELS.register_module()
class LearnablePositionEmbedding2d(nn.Module):
    """Learnable 2-D position table pasted into each image's valid region.

    The table used by DocSAM (`DocSAM: Unified Document Image Segmentation
    via Query Decomposition and Heterogeneous Mixed Learning
    <https://arxiv.org/abs/2504.04085>`_). Two embedding tables, one per
    axis, form a grid of shape (embed_dims, num_rows, num_cols) whose
    channel ``c`` is ``x_emb[col, c]`` for ``c < embed_dims // 2`` and
    ``y_emb[row, c - embed_dims // 2]`` otherwise (x first). For every image
    the whole grid is bilinearly resized (``align_corners=False``) to the
    size of the image's valid box and pasted at the box position of an
    otherwise zero map, so the table always spans the real image content
    whatever the padding. Without ``normalize`` the grid is never built: its
    x half is constant along the rows and its y half along the columns, so
    the bilinear resize is a 1-D linear resize of each table.

    The embeddings keep PyTorch's default ``nn.Embedding`` initialisation,
    N(0, 1); DocSAM's released checkpoints overwrite them anyway.

    Args:
        num_rows (int): Number of rows of the table (y positions).
            Defaults to 256.
        num_cols (int): Number of columns of the table (x positions).
            Defaults to 256.
        embed_dims (int): Channels of the embedding, split evenly between
            the x and the y table. Defaults to 256.
        normalize (bool): Whether to apply ``norm`` (a LayerNorm over the
            channels) to the grid before resizing. DocSAM never does; the
            LayerNorm exists so that checkpoints load by name.
            Defaults to False.
        rounding (str): How box coordinates become pixel indices, 'floor'
            (truncation, as DocSAM's ``Tensor.long()``) or 'round'.
            Defaults to 'floor'.
    """

    def __init__(self,
                 num_rows: int = 256,
                 num_cols: int = 256,
                 embed_dims: int = 256,
                 normalize: bool = False,
                 rounding: str = 'floor') -> None:
        super().__init__()
        if embed_dims % 2 != 0:
            raise ValueError(f'embed_dims must be even, got {embed_dims}')
        if rounding not in ('floor', 'round'):
            raise ValueError(f"rounding must be 'floor' or 'round', "
                             f'got {rounding!r}')
        self.num_rows = num_rows
        self.num_cols = num_cols
        self.embed_dims = embed_dims
        self.normalize = normalize
        self.rounding = rounding
        self.position_embed_x = nn.Embedding(num_cols, embed_dims // 2)
        self.position_embed_y = nn.Embedding(num_rows, embed_dims // 2)
        self.norm = nn.LayerNorm(embed_dims)

    def grid(self) -> Tensor:
        """Build the full position grid.

        Returns:
            Tensor: Grid of shape (1, embed_dims, num_rows, num_cols).
        """
        half = self.embed_dims // 2
        x_emb = self.position_embed_x.weight  # (cols, half)
        y_emb = self.position_embed_y.weight  # (rows, half)
        shape = (self.num_rows, self.num_cols, half)
        x_part = x_emb[None].expand(shape)  # varies along columns
        y_part = y_emb[:, None].expand(shape)  # varies along rows
        grid = torch.cat([x_part, y_part], dim=-1)  # (rows, cols, C)
        if self.normalize:
            grid = self.norm(grid)
        return grid.permute(2, 0, 1)[None]

    def _to_index(self, value: Tensor) -> int:
        """Turn one box coordinate into an integer pixel index."""
        if self.rounding == 'floor':
            return int(torch.floor(value))
        return int(torch.round(value))

    def forward(self, image_bboxes: Tensor, out_size: SizeType) -> Tensor:
        """Paste the resized table into each image's box.

        Args:
            image_bboxes (Tensor): Valid region of each image, shape (B, 4),
                (x1, y1, x2, y2) in the coordinates of the output map.
                Boxes are clamped to the map and widened to at least one
                pixel per side.
            out_size (Tuple[int, int]): Output size (H, W).

        Returns:
            Tensor: Position map of shape (B, embed_dims, H, W), zero
            outside each box.
        """
        height, width = int(out_size[0]), int(out_size[1])
        weight = self.position_embed_x.weight
        out = weight.new_zeros(
            (image_bboxes.shape[0], self.embed_dims, height, width))
        grid = self.grid() if self.normalize else None
        half = self.embed_dims // 2
        for i, box in enumerate(image_bboxes.detach().float().cpu()):
            x1, y1, x2, y2 = (self._to_index(v) for v in box)
            x1 = min(max(x1, 0), width - 1)
            y1 = min(max(y1, 0), height - 1)
            x2 = min(max(x2, x1 + 1), width)
            y2 = min(max(y2, y1 + 1), height)
            if grid is not None:
                out[i, :, y1:y2, x1:x2] = F.interpolate(
                    grid,
                    size=(y2 - y1, x2 - x1),
                    mode='bilinear',
                    align_corners=False)[0]
                continue
            # The x half of the grid is constant along the rows and the y
            # half along the columns, so its bilinear resize is a 1-D linear
            # resize of each table (same values up to float rounding; the
            # 256x256 grid is never built).
            x_part = F.interpolate(
                self.position_embed_x.weight.t()[None], x2 - x1,
                mode='linear', align_corners=False)[0]  # (half, w)
            y_part = F.interpolate(
                self.position_embed_y.weight.t()[None], y2 - y1,
                mode='linear', align_corners=False)[0]  # (half, h)
            out[i, :half, y1:y2, x1:x2] = x_part[:, None, :]
            out[i, half:, y1:y2, x1:x2] = y_part[:, :, None]
        return out
