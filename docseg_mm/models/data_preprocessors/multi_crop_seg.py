# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Any, Dict

import torch
from mmseg.models.data_preprocessor import SegDataPreProcessor

from docseg_mm.registry import MODELS


@MODELS.register_module()
class MultiCropSegDataPreProcessor(SegDataPreProcessor):
    """mmseg's ``SegDataPreProcessor`` that also takes multi-crop batches.

    When every sample's ``inputs`` is a list of crops (from
    :class:`AlignSegMultiCrop` + ``mmpretrain.PackInputs``), crop ``i`` of
    every sample is converted (BGR->RGB, float, normalised) and stacked:
    the model gets a list of ``(B, 3, S_i, S_i)`` tensors, crop-major like
    the original's data loader. Single images go through mmseg's
    preprocessing unchanged (test time).
    """

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Preprocess a batch (see the class docstring)."""
        inputs = data['inputs']
        if not (isinstance(inputs, (list, tuple)) and inputs
                and isinstance(inputs[0], (list, tuple))):
            return super().forward(data, training)
        data = self.cast_data(data)
        num_crops = len(data['inputs'][0])
        if any(len(crops) != num_crops for crops in data['inputs']):
            raise ValueError('every sample of a batch needs the same number '
                             'of crops')
        batch = []
        for i in range(num_crops):
            crops = [sample[i] for sample in data['inputs']]
            if self.channel_conversion and crops[0].size(0) == 3:
                crops = [c[[2, 1, 0], ...] for c in crops]
            crops = [c.float() for c in crops]
            if self._enable_normalize:
                crops = [(c - self.mean) / self.std for c in crops]
            batch.append(torch.stack(crops))
        return dict(inputs=batch, data_samples=data.get('data_samples'))
