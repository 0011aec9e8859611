# Copyright (c) docseg_mm contributors. All rights reserved.
"""Momentum branches that average parameters only (BYOL / MoCo style)."""
import torch.nn as nn


class ParameterOnlyUpdateMixin:
    """Mixin for mmengine averaged models: updates touch parameters only.

    mmengine's averaged models copy the source's buffers into the averaged
    model at every update (``update_buffers=False``) or average them
    (``update_buffers=True``). The original SelfDocSeg (lightly's
    ``update_momentum``) and DiG (MoCo v3's ``_update_momentum_encoder``)
    update parameters only: the momentum branch's BatchNorm statistics
    evolve through its own forward passes. The first update copies
    parameters and buffers (the original momentum branches start as a copy
    of the online branch). Mix it in before the mmengine class; the
    averaging formula stays that class's ``avg_func``.
    """

    def update_parameters(self, model: nn.Module) -> None:
        """Update the averaged parameters from ``model``'s parameters.

        Args:
            model (nn.Module): The online model.
        """
        src = dict(model.named_parameters())
        if self.steps == 0:
            for key, p_avg in self.avg_parameters.items():
                p_avg.data.copy_(src[key].data)
            for b_avg, b_src in zip(self.module.buffers(), model.buffers()):
                b_avg.data.copy_(b_src.data.to(b_avg.device))
        elif self.steps % self.interval == 0:
            for key, p_avg in self.avg_parameters.items():
                if p_avg.dtype.is_floating_point:
                    self.avg_func(p_avg.data,
                                  src[key].data.to(p_avg.device), self.steps)
        self.steps += 1


__all__ = ['ParameterOnlyUpdateMixin']
