# Copyright (c) docseg_mm contributors. All rights reserved.
"""Four parameter groups: backbone / new x weights / biases (SLRNet,
1-stage-wseg, PSA)."""
from typing import List, Optional

import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor

from docseg_mm.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class BackboneHeadOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """lr / weight-decay multipliers by (backbone or not) x (weight or bias).

    ``paramwise_cfg`` keys (SLRNet's values for WideResNet-38 are the
    defaults): ``backbone_lr_mult`` (1), ``backbone_bias_lr_mult`` (2),
    ``head_lr_mult`` (10), ``head_bias_lr_mult`` (20), ``bias_decay_mult``
    (0), ``backbone_prefix`` (``'backbone.'``). A parameter is a "bias" when
    its name ends in ``.bias`` (BN biases included, as in the original);
    everything else, BN weights included, is a "weight". Frozen parameters
    (``requires_grad=False``) are left out. The original uses 1 / 1 / 10 /
    10 for other backbones.
    """

    def add_params(self, params: List[dict], module: nn.Module,
                   **kwargs) -> None:
        cfg = dict(backbone_lr_mult=1., backbone_bias_lr_mult=2.,
                   head_lr_mult=10., head_bias_lr_mult=20.,
                   bias_decay_mult=0., backbone_prefix='backbone.')
        unknown = set(self.paramwise_cfg) - set(cfg)
        if unknown:
            raise KeyError(f'unknown paramwise_cfg keys {sorted(unknown)}')
        cfg.update(self.paramwise_cfg)
        wd = self.base_wd or 0.
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            is_bias = name.endswith('.bias')
            part = 'backbone' if name.startswith(
                cfg['backbone_prefix']) else 'head'
            lr_mult = cfg[f'{part}_bias_lr_mult' if is_bias else
                          f'{part}_lr_mult']
            params.append(dict(
                params=[param], lr=self.base_lr * lr_mult,
                weight_decay=wd * (cfg['bias_decay_mult'] if is_bias else 1.)))

    def __init__(self, optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        # an empty paramwise_cfg would skip add_params in the base class
        super().__init__(optim_wrapper_cfg,
                         paramwise_cfg or dict(head_lr_mult=10.))
