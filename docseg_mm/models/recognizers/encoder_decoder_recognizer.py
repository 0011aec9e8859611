# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.model import BaseModel

from docseg_mm.registry import MODELS


@MODELS.register_module()
class EncoderDecoderRecognizer(BaseModel):
    """Text recogniser: backbone -> neck -> decoder head (mmocr's layout).

    Args:
        backbone (dict): Encoder returning (B, N, C) tokens as its last
            output, e.g. :class:`DiGViT` with ``final_norm=True``.
        decoder (dict): Head with ``loss(feat, data_samples)`` and
            ``predict(feat, data_samples)``, e.g.
            :class:`TransformerTextHead`.
        neck (dict, optional): E.g. :class:`LinearNormNeck`.
            Defaults to None.
        data_preprocessor (dict, optional): Defaults to MMEngine's
            ``ImgDataPreprocessor`` mapping [0, 255] to [-1, 1] (RGB).
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 decoder: dict,
                 neck: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='ImgDataPreprocessor',
                                     mean=[127.5] * 3, std=[127.5] * 3,
                                     bgr_to_rgb=True)
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.decoder = MODELS.build(decoder)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) images -> (B, N, C) decoder memory."""
        x = self.backbone(inputs)[-1]
        return self.neck(x) if self.neck is not None else x

    def forward(self, inputs: torch.Tensor, data_samples: list = None,
                mode: str = 'tensor'):
        """``loss``, ``predict`` or ``tensor`` (greedy class probabilities).
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.decoder.decode_greedy(self.extract_feat(inputs))[1]
        raise RuntimeError(f'Invalid mode "{mode}"')

    def loss(self, inputs: torch.Tensor,
             data_samples: list) -> Dict[str, torch.Tensor]:
        return self.decoder.loss(self.extract_feat(inputs), data_samples)

    def predict(self, inputs: torch.Tensor, data_samples: list) -> list:
        return self.decoder.predict(self.extract_feat(inputs), data_samples)

    def get_layer_depth(self, param_name: str,
                        prefix: str = '') -> Tuple[int, int]:
        """Layer depth for mmpretrain's layer-wise lr decay (the backbone's
        rule; neck and decoder are the last depth)."""
        return self.backbone.get_layer_depth(param_name, prefix + 'backbone.')
