# Copyright (c) docseg_mm contributors. All rights reserved.
from .dataset_mix_sampler import DatasetMixSampler
from .image_label_weighted_sampler import (ImageLabelWeightedSampler,
                                           image_label_weights)

__all__ = ['DatasetMixSampler', 'ImageLabelWeightedSampler',
           'image_label_weights']
