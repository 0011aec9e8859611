# Copyright (c) docseg_mm contributors. All rights reserved.
"""Switch a model's segmentation loss on after a warm-up."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from docseg_mm.registry import HOOKS


@HOOKS.register_module()
class SegLossWarmupHook(Hook):
    """Set ``model.seg_loss_enabled`` once the warm-up is over.

    SLRNet (like 1-stage-wseg) trains the classification and consistency
    losses alone for the first epochs and adds the pseudo-label segmentation
    loss afterwards: the original adds it when the 0-based ``epoch >
    pretrain_epochs`` (5), i.e. from epoch 6 on. This hook sets the flag
    before every training iteration, so it is also right after resuming.

    Args:
        start_epoch (int, optional): First 0-based epoch with the loss
            (``pretrain_epochs + 1``). Defaults to None.
        start_iter (int, optional): First 0-based iteration with the loss
            (for iteration-based loops). Defaults to None.
        attr (str): Model attribute to set. Defaults to
            ``'seg_loss_enabled'``.
    """

    priority = 'NORMAL'

    def __init__(self,
                 start_epoch: Optional[int] = None,
                 start_iter: Optional[int] = None,
                 attr: str = 'seg_loss_enabled') -> None:
        if (start_epoch is None) == (start_iter is None):
            raise ValueError('give exactly one of start_epoch / start_iter')
        self.start_epoch = start_epoch
        self.start_iter = start_iter
        self.attr = attr

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not hasattr(model, self.attr):
            raise AttributeError(
                f'{type(model).__name__} has no attribute {self.attr!r}')
        if self.start_epoch is not None:
            on = runner.epoch >= self.start_epoch
        else:
            on = runner.iter >= self.start_iter
        if on and not getattr(model, self.attr):
            runner.logger.info(f'{type(self).__name__}: {self.attr} = True '
                               f'(epoch {runner.epoch}, iter {runner.iter})')
        setattr(model, self.attr, on)
