# Copyright (c) docseg_mm contributors. All rights reserved.
"""Synthetic source state dicts shared by the converter tests."""
from typing import Dict

import pytest
import torch

from .selfdocseg_sources import encoder_shapes, lightning_shapes, \
    random_state_dict


@pytest.fixture(scope='module')
def lightning_sd() -> Dict[str, torch.Tensor]:
    shapes, _ = lightning_shapes()
    sd = random_state_dict(shapes, seed=0)
    # backbone.0.* is the same online encoder saved twice: equal values,
    # separate storage, so that equality is checked by value.
    for name in sd:
        if name.startswith('backbone.0.'):
            sd[name] = sd['bb_feat.' + name[len('backbone.0.'):]].clone()
    return sd


@pytest.fixture(scope='module')
def clean_encoder() -> Dict[str, torch.Tensor]:
    shapes, _ = encoder_shapes()
    return random_state_dict(shapes, seed=1)
