# Copyright (c) docseg_mm contributors. All rights reserved.
from .dataset_mix_sampler import DatasetMixSampler

__all__ = ['DatasetMixSampler']
