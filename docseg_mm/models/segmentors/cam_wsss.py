# Copyright (c) docseg_mm contributors. All rights reserved.
"""Class activation maps (CAM) as a weakly supervised segmentation
baseline: a multi-label classifier whose CAMs are the masks."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.structures import SegDataSample
from torch import Tensor

from docseg_mm.registry import MODELS
from ..utils.wsss import select_classes


@MODELS.register_module()
class CAMHead(nn.Module):
    """1x1 classifier on the deep feature; image logits by global average
    pooling, CAMs by the same classifier per pixel.

    Args:
        in_channels (int): Deep feature channels.
        num_classes (int): Classes including background.
        in_index (int): Backbone output to use. Defaults to -1.
        dropout (float): Dropout before the classifier. Defaults to 0.
    """

    def __init__(self, in_channels: int, num_classes: int,
                 in_index: int = -1, dropout: float = 0.) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.out_channels = num_classes
        self.in_index = in_index
        self.align_corners = False
        self.dropout = nn.Dropout2d(dropout) if dropout else nn.Identity()
        self.classifier = nn.Conv2d(in_channels, num_classes - 1, 1,
                                    bias=False)

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Per-pixel class logits (the un-normalised CAMs)."""
        return self.classifier(self.dropout(inputs[self.in_index]))


@MODELS.register_module()
class CAMSegmentor(EncoderDecoder):
    """Multi-label classification network evaluated as a segmenter.

    Training: multilabel soft-margin loss on the globally averaged logits.
    Prediction: ``cam_c = relu(logit_c) / max relu(logit_c)`` (bilinear to
    the image), classes selected as SLRNet does (``test_cfg.class_select``
    ``'predicted'`` with ``fp_cut`` / ``topk``, or ``'gt'``), background
    score the constant ``test_cfg.bg_score``; ``pred = argmax``.
    ``seg_logits`` holds the scores (background first).
    """

    def loss(self, inputs: Tensor,
             data_samples: List[SegDataSample]) -> Dict[str, Tensor]:
        logits = self.decode_head(self.extract_feat(inputs))
        labels = torch.from_numpy(np.stack([
            np.asarray(s.metainfo['img_labels'], np.float32)
            for s in data_samples
        ])).to(inputs.device)
        return dict(loss_cls=F.multilabel_soft_margin_loss(
            logits.mean((2, 3)), labels))

    def predict(self, inputs: Tensor,
                data_samples: Optional[List[SegDataSample]] = None
                ) -> List[SegDataSample]:
        cfg = self.test_cfg or {}
        logits = self.decode_head(self.extract_feat(inputs))
        cls = logits.mean((2, 3))
        cam = F.relu(logits)
        cam = cam / (cam.flatten(2).max(-1)[0][..., None, None] + 1e-5)
        bg = torch.full_like(cam[:, :1], cfg.get('bg_score', 0.2))
        scores = F.interpolate(torch.cat([bg, cam], 1), inputs.shape[2:],
                               mode='bilinear', align_corners=False)
        data_samples = self.postprocess_result(scores, data_samples)
        for i, sample in enumerate(data_samples):
            if cfg.get('class_select', 'predicted') == 'gt':
                keep = torch.as_tensor(np.asarray(
                    sample.metainfo['img_labels'], np.float32))
            else:
                keep = select_classes(cls[i], cfg.get('fp_cut', 0.3),
                                      cfg.get('topk'))
            s = sample.seg_logits.data.clone()
            s[1:] *= keep.to(s).view(-1, 1, 1)
            sample.set_data(dict(pred_sem_seg=PixelData(
                data=s.argmax(0, keepdim=True))))
        return data_samples
