# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import LabelData

from docseg_mm.registry import TRANSFORMS
from docseg_mm.structures import TextRecogDataSample


@TRANSFORMS.register_module()
class PackTextRecogInputs(BaseTransform):
    """Pack a word image and its transcription (mmocr's packing).

    ``inputs`` is the (C, H, W) uint8 image tensor; ``data_samples`` a
    :class:`TextRecogDataSample` whose ``gt_text.item`` is
    ``results['gt_texts'][0]`` or ``results['instances'][0]['text']`` (''
    when there is none) and whose metainfo holds ``meta_keys``.

    Args:
        meta_keys (Sequence[str]): Defaults to ('img_path', 'ori_shape',
            'img_shape', 'dataset_name').
    """

    def __init__(self, meta_keys: Sequence[str] = (
            'img_path', 'ori_shape', 'img_shape', 'dataset_name')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(
            np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = TextRecogDataSample()
        if results.get('gt_texts'):
            text = results['gt_texts'][0]
        elif results.get('instances'):
            text = results['instances'][0]['text']
        else:
            text = ''
        sample.gt_text = LabelData(item=text)
        sample.set_metainfo(
            {k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
