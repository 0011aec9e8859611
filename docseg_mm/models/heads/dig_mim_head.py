# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Optional, Sequence, Union

import torch
from mmengine.utils import to_2tuple
from mmengine.model import BaseModule

from docseg_mm.registry import MODELS


@MODELS.register_module()
class DiGMIMHead(BaseModule):
    """Raw-pixel reconstruction loss of DiG on the masked patches.

    The target is the input un-normalised to [0, 1] (``img * std + mean``)
    and cut into (B, h*w, p*p*C) patches in ``(p1 p2 c)`` order, the layout
    of DiG's ``rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)')``, which
    works for non-square images (mmpretrain's MAE head assumes squares).

    Args:
        patch_size (int | Sequence[int]): Patch side or (height, width).
            Defaults to 4.
        mean (Sequence[float]): Per-channel mean of the input normalisation,
            in [0, 1] units. Defaults to (0.5, 0.5, 0.5).
        std (Sequence[float]): Per-channel std, likewise.
            Defaults to (0.5, 0.5, 0.5).
        norm_target (bool): Normalise every patch channel by its mean and
            unbiased std over the patch pixels (DiG's ``--normlize_target``,
            off in the paper's run). Defaults to False.
        loss (dict): Loss on (pred, target); mean squared error over the
            masked patches' values by default.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 patch_size: Union[int, Sequence[int]] = 4,
                 mean: Sequence[float] = (0.5, 0.5, 0.5),
                 std: Sequence[float] = (0.5, 0.5, 0.5),
                 norm_target: bool = False,
                 loss: dict = dict(
                     type='mmpretrain.PixelReconstructionLoss',
                     criterion='L2'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.patch_size = patch_size
        self.register_buffer('mean', torch.tensor(mean).view(1, -1, 1, 1),
                             persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, -1, 1, 1),
                             persistent=False)
        self.norm_target = norm_target
        self.loss_module = MODELS.build(loss)

    def construct_target(self, img: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) normalised images -> (B, h*w, p*p*C) pixel targets.

        Args:
            img (Tensor): Normalised images.

        Returns:
            Tensor: The patch targets.
        """
        ph, pw = to_2tuple(self.patch_size)
        b, c, h, w = img.shape
        if h % ph or w % pw:
            raise ValueError(f'image {h}x{w} is not divisible by {ph}x{pw}')
        img = img * self.std + self.mean
        patches = img.reshape(b, c, h // ph, ph, w // pw, pw)
        patches = patches.permute(0, 2, 4, 3, 5, 1)  # b, gh, gw, p1, p2, c
        patches = patches.reshape(b, (h // ph) * (w // pw), ph * pw, c)
        if self.norm_target:
            mu = patches.mean(dim=-2, keepdim=True)
            sd = patches.var(dim=-2, unbiased=True, keepdim=True).sqrt()
            patches = (patches - mu) / (sd + 1e-6)
        return patches.flatten(2)

    def loss(self, pred: torch.Tensor, img: torch.Tensor,
             mask: torch.Tensor) -> torch.Tensor:
        """Reconstruction loss on the masked patches.

        Args:
            pred (Tensor): (M, p*p*C) (or (B, M/B, p*p*C)) predictions of the
                masked patches, in the row-major order of ``mask``.
            img (Tensor): (B, C, H, W) normalised images (the target).
            mask (Tensor): (B, h*w) bool, True where masked.

        Returns:
            Tensor: The loss.
        """
        with torch.no_grad():
            target = self.construct_target(img)[mask.flatten(1).bool()]
        return self.loss_module(pred.reshape(target.shape), target)
