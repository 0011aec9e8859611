# Copyright (c) docseg_mm contributors. All rights reserved.
import math
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models import VisionTransformer
from mmpretrain.models.utils import resize_pos_embed

from docseg_mm.registry import MODELS

POS_INTERP_MODES = ('dino', 'mmpretrain')


def dino_interpolate_pos_embed(pos_embed: torch.Tensor, grid: Tuple[int, int],
                               num_extra_tokens: int = 1) -> torch.Tensor:
    """DINO's ``interpolate_pos_encoding``: bicubic with a scale factor.

    DINO (and AlignSeg, Leopart) resize the square patch position grid with
    ``scale_factor=((h + 0.1) / sqrt(N), (w + 0.1) / sqrt(N))`` instead of a
    target size; the sampling positions differ slightly from mmpretrain's
    ``resize_pos_embed`` (``size=(h, w)``), so the tokens of a DINO checkpoint
    only match the original at other input sizes with this function. The
    unchanged table is returned when the grid is the pretraining one.

    Args:
        pos_embed (Tensor): ``(1, num_extra_tokens + N, C)``, ``N`` square.
        grid (tuple[int, int]): Target patch grid ``(h, w)``.
        num_extra_tokens (int): Leading tokens kept as they are.
            Defaults to 1 (the CLS token).

    Returns:
        Tensor: ``(1, num_extra_tokens + h * w, C)``.
    """
    n = pos_embed.shape[1] - num_extra_tokens
    side = int(math.sqrt(n))
    if side * side != n:
        raise ValueError(f'the position table has {n} patch entries, not a '
                         'square grid')
    h, w = grid
    if n == h * w and h == w:
        return pos_embed
    extra = pos_embed[:, :num_extra_tokens]
    patch = pos_embed[:, num_extra_tokens:]
    dim = patch.shape[-1]
    patch = patch.reshape(1, side, side, dim).permute(0, 3, 1, 2)
    patch = F.interpolate(
        patch.float(),
        scale_factor=((h + 0.1) / side, (w + 0.1) / side),
        mode='bicubic')
    assert patch.shape[-2:] == (h, w), patch.shape
    patch = patch.to(pos_embed.dtype).permute(0, 2, 3, 1).reshape(1, -1, dim)
    return torch.cat((extra, patch), dim=1)


@MODELS.register_module()
class CLSAttentionViT(VisionTransformer):
    """mmpretrain ViT returning patch tokens and the last CLS attention.

    AlignSeg's frozen encoder (DINO's ``VisionTransformer`` with
    ``last_self_attention=True``): the final-LayerNorm patch tokens as a
    ``(B, C, h, w)`` map and, from the last block, the attention of the CLS
    query to every patch, ``(B, heads, h * w)`` (softmax over all tokens,
    CLS included, then the CLS column dropped, as ``attn[:, :, 0, 1:]``).

    The blocks are mmpretrain's ``TransformerEncoderLayer`` unchanged; the
    attention weights are recomputed from the input of the last block's
    attention module by a forward hook (only the CLS row: one query).

    Args:
        arch (str | dict): mmpretrain ViT arch. Defaults to ``'deit-small'``
            (ViT-S: 384 wide, 12 layers, 6 heads, FFN 1536).
        patch_size (int): Defaults to 16.
        frozen (bool): Freeze every parameter and keep eval mode (AlignSeg
            never trains the encoder). Defaults to True.
        pos_interp (str): ``'dino'`` (DINO's scale-factor bicubic with the
            +0.1 offset, see :func:`dino_interpolate_pos_embed`) or
            ``'mmpretrain'`` (``resize_pos_embed`` to the target size).
            Defaults to ``'dino'``.
        **kwargs: Other :class:`mmpretrain.models.VisionTransformer`
            arguments (``img_size``, ``norm_cfg``, ``init_cfg`` ...).
            ``out_type`` is ``'featmap'`` and ``final_norm`` True.
    """

    def __init__(self,
                 arch: str = 'deit-small',
                 patch_size: int = 16,
                 frozen: bool = True,
                 pos_interp: str = 'dino',
                 **kwargs) -> None:
        if pos_interp not in POS_INTERP_MODES:
            raise ValueError(f'pos_interp must be one of {POS_INTERP_MODES}, '
                             f'got {pos_interp!r}')
        for key, need in (('out_type', 'featmap'), ('final_norm', True),
                          ('with_cls_token', True)):
            if kwargs.pop(key, need) != need:
                raise ValueError(f'CLSAttentionViT needs {key}={need!r}')
        super().__init__(
            arch=arch,
            patch_size=patch_size,
            out_type='featmap',
            final_norm=True,
            with_cls_token=True,
            out_indices=-1,
            **kwargs)
        self.pos_interp = pos_interp
        self.frozen = frozen
        self._cls_attn: Optional[torch.Tensor] = None
        self.layers[-1].attn.register_forward_hook(self._store_cls_attention)
        if frozen:
            self.requires_grad_(False)
            self.eval()

    def train(self, mode: bool = True) -> 'CLSAttentionViT':
        return super().train(mode and not self.frozen)

    def _store_cls_attention(self, module: nn.Module, args: tuple,
                             output: torch.Tensor) -> None:
        x = args[0]
        b, n, _ = x.shape
        heads, head_dims = module.num_heads, module.head_dims
        qkv = module.qkv(x).reshape(b, n, 3, heads, head_dims)
        q_cls = qkv[:, 0, 0]  # (B, heads, d)
        k = qkv[:, :, 1]  # (B, N, heads, d)
        logits = torch.einsum('bhd,bnhd->bhn', q_cls, k) * head_dims**-0.5
        self._cls_attn = logits.softmax(dim=-1)[:, :, 1:]

    def _pos_embed(self, grid: Tuple[int, int]) -> torch.Tensor:
        if self.pos_interp == 'dino':
            src = self.patch_resolution
            if src[0] != src[1]:
                raise ValueError('DINO position interpolation needs a square '
                                 f'pretraining grid, got {src}')
            return dino_interpolate_pos_embed(self.pos_embed, grid,
                                              self.num_extra_tokens)
        return resize_pos_embed(
            self.pos_embed,
            self.patch_resolution,
            grid,
            mode=self.interpolate_mode,
            num_extra_tokens=self.num_extra_tokens)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Encode images.

        Args:
            x (Tensor): ``(B, 3, H, W)``, ``H`` and ``W`` multiples of the
                patch size.

        Returns:
            tuple[Tensor, Tensor]: Patch tokens ``(B, C, h, w)`` after the
            final LayerNorm and the last block's CLS-to-patch attention
            ``(B, heads, h * w)``.
        """
        b = x.shape[0]
        x, grid = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(b, -1, -1), x), dim=1)
        x = x + self._pos_embed(tuple(grid))
        x = self.pre_norm(self.drop_after_pos(x))
        for layer in self.layers:
            x = layer(x)
        x = self.ln1(x)
        attn, self._cls_attn = self._cls_attn, None
        return self._format_output(x, grid), attn
