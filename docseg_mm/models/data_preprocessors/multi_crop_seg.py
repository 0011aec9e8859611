# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Any, Dict, List

import torch
from mmseg.models.data_preprocessor import SegDataPreProcessor

from docseg_mm.registry import MODELS


@MODELS.register_module()
class MultiCropSegDataPreProcessor(SegDataPreProcessor):
    """mmseg's ``SegDataPreProcessor`` that also takes multi-crop batches.

    Multi-crop samples (:class:`AlignSegMultiCrop` + ``mmpretrain.
    PackInputs``) reach the model crop-major: ``pseudo_collate`` turns the
    per-sample crop lists into one list of ``B`` images per crop
    (``default_collate`` into one ``(B, 3, S, S)`` tensor per crop). Each
    crop is converted (BGR->RGB, float, normalised) and stacked, so the
    model gets a list of ``(B, 3, S_i, S_i)`` tensors, crop-major like the
    original's data loader. Single images (``inputs`` a list of ``(3, H,
    W)`` tensors) go through mmseg's preprocessing unchanged.
    """

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Preprocess a batch (see the class docstring)."""
        inputs = data['inputs']
        multi_crop = isinstance(inputs, (list, tuple)) and inputs and (
            isinstance(inputs[0], (list, tuple))
            or (torch.is_tensor(inputs[0]) and inputs[0].dim() == 4))
        if not multi_crop:
            return super().forward(data, training)
        data = self.cast_data(data)
        samples = data.get('data_samples')
        batch: List[torch.Tensor] = []
        for crop in data['inputs']:
            crop = list(crop) if isinstance(crop, (list, tuple)) else list(
                crop.unbind(0))
            if samples is not None and len(crop) != len(samples):
                raise ValueError('every sample of a batch needs the same '
                                 'number of crops')
            if self.channel_conversion and crop[0].size(0) == 3:
                crop = [c[[2, 1, 0], ...] for c in crop]
            crop = [c.float() for c in crop]
            if self._enable_normalize:
                crop = [(c - self.mean) / self.std for c in crop]
            batch.append(torch.stack(crop))
        return dict(inputs=batch, data_samples=samples)
