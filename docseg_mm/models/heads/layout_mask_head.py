# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torchvision.ops import sigmoid_focal_loss

from docseg_mm.registry import MODELS


@MODELS.register_module()
class LayoutMaskHead(BaseModule):
    """SelfDocSeg's layout predictor: a 1x1 convolution over the channel
    concatenation of both views' feature maps, trained with sigmoid focal loss
    to predict the pseudo-layout mask.

    Args:
        in_channels (int): Channels of the concatenated feature maps
            (2 x 2048 for ResNet-50). Defaults to 4096.
        alpha (float): Focal loss alpha. Defaults to 0.25.
        gamma (float): Focal loss gamma. Defaults to 2.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        faithful (bool): Reproduce the original code, whose layout predictor
            ends with a Sigmoid whose output is then passed to a focal loss
            that applies its own sigmoid (so the prediction is
            ``sigmoid(sigmoid(x))``, confined to (0.5, 0.73)). Defaults to
            False: the loss gets the logits.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int = 4096,
                 alpha: float = 0.25,
                 gamma: float = 2.0,
                 loss_weight: float = 1.0,
                 faithful: bool = False,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.conv = nn.Conv2d(in_channels, 1, kernel_size=1)
        self.alpha = alpha
        self.gamma = gamma
        self.loss_weight = loss_weight
        self.faithful = faithful

    def forward(self, feats: torch.Tensor,
                scale_factor: int = 1) -> torch.Tensor:
        """Return layout logits of shape (B, 1, sH, sW).

        A 1x1 convolution commutes with nearest upsampling, so the logits of
        features upsampled ``scale_factor`` times are the upsampled logits:
        only the one-channel output is upsampled.
        """
        logits = self.conv(feats)
        if scale_factor != 1:
            logits = F.interpolate(logits, scale_factor=scale_factor,
                                   mode='nearest')
        return logits

    def loss(self,
             feats: torch.Tensor,
             target: torch.Tensor,
             scale_factor: int = 1) -> Dict[str, torch.Tensor]:
        """Focal loss between the predicted and the pseudo-layout mask.

        Args:
            feats (Tensor): Concatenated view features (B, C, H, W).
            target (Tensor): Layout masks (B, sH, sW) with values in {0, 1}.
            scale_factor (int): Nearest upsampling from the features to the
                mask grid. Defaults to 1.

        Returns:
            dict: ``loss_layout``.
        """
        logits = self(feats, scale_factor)
        if self.faithful:
            logits = logits.sigmoid()
        target = target.to(logits.dtype).unsqueeze(1)
        loss = sigmoid_focal_loss(logits, target, alpha=self.alpha,
                                  gamma=self.gamma, reduction='mean')
        return dict(loss_layout=self.loss_weight * loss)
