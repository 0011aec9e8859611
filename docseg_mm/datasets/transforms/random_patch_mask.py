# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from docseg_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomPatchMask(BaseTransform):
    """Mask exactly ``int(mask_ratio * h * w)`` patches, uniformly at random.

    DiG's ``RandomMaskingGenerator`` (no blocks, unlike SimMIM's
    generator). Adds ``mask``: a (h, w) uint8 array, 1 where masked, which
    ``mmpretrain.PackInputs`` stores as ``data_sample.mask``.

    Args:
        input_size (Sequence[int]): Patch grid (h, w). Defaults to (8, 32).
        mask_ratio (float): Fraction of masked patches. Defaults to 0.7.
    """

    def __init__(self, input_size: Sequence[int] = (8, 32),
                 mask_ratio: float = 0.7) -> None:
        if not 0 <= mask_ratio <= 1:
            raise ValueError('mask_ratio must be in [0, 1]')
        self.input_size = tuple(input_size)
        self.num_patches = int(np.prod(self.input_size))
        self.num_mask = int(mask_ratio * self.num_patches)

    def transform(self, results: dict) -> dict:
        mask = np.zeros(self.num_patches, dtype=np.uint8)
        mask[np.random.permutation(self.num_patches)[:self.num_mask]] = 1
        results['mask'] = mask.reshape(self.input_size)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_size={self.input_size}, '
                f'num_mask={self.num_mask})')
