# Copyright (c) docseg_mm contributors. All rights reserved.
"""SelfDocSeg parity: the original pretraining model against the converted
docseg_mm ``SelfDocSeg`` (``tools/analysis_tools/selfdocseg_parity.py``).

Original side (:mod:`.selfdocseg_original`): the ``SelfDocSeg``
LightningModule of ``pretraining/train_ssl.py``. docseg_mm side
(:func:`build_selfdocseg`): the ResNet-50 pretraining config with plain BN.
Both are compared by :func:`compare_selfdocseg` on the outputs each branch
computes in eval mode:

* online: C5 (before the original's x4 nearest upsampling, which
  docseg_mm never materialises), layout mask probability, projection ``z``
  and prediction ``p`` of the pooled C5;
* momentum: C5 and ``z`` of the pooled C5, and the momentum branch's
  BatchNorm running statistics (its own: the momentum update touches
  parameters only).
"""
from typing import Callable, Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from docseg_mm.registry import MODELS
from .parity import ParityReport

#: docseg_mm config of the released SelfDocSeg pretraining (ResNet-50).
CONFIG = 'configs/selfdocseg/selfdocseg_resnet50_1xb8-coslr-800e_doclaynet.py'


def build_selfdocseg(config: str = CONFIG) -> nn.Module:
    """docseg_mm ``SelfDocSeg`` from ``config`` with BN for SyncBN."""
    from mmengine.config import Config

    from docseg_mm.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(config)
    cfg.model.backbone.norm_cfg = dict(type='BN')
    return MODELS.build(cfg.model)


@torch.no_grad()
def selfdocseg_outputs(model: nn.Module, x: Tensor) -> Dict[str, Tensor]:
    """Eval-mode outputs of docseg_mm's SelfDocSeg on pages ``x``.

    Returns:
        dict: ``online_c5``, ``layout_prob`` (views ``x`` and ``x.flip(0)``
        concatenated as the original's two views), ``online_z``,
        ``online_p``, ``momentum_c5``, ``momentum_z``.
    """
    c5 = model.backbone(x)[-1]
    z = model.neck([c5.mean((2, 3))])[0]
    target = model.target_net.module
    mc5 = target[0](x)[-1]
    layout = torch.sigmoid(model.layout_head(torch.cat([c5, c5.flip(0)], 1)))
    return dict(online_c5=c5, layout_prob=layout, online_z=z,
                online_p=model.head.predictor([z])[0], momentum_c5=mc5,
                momentum_z=target[1]([mc5.mean((2, 3))])[0])


@torch.no_grad()
def momentum_train_pass(model: nn.Module, views: List[Tensor]) -> None:
    """Train-mode momentum passes of a training step (BN statistics move
    by the branch's own passes; the whole page is the pooled object)."""
    target = model.target_net.module
    target.train()
    for feats in [target[0](v)[-1] for v in views]:
        target[1]([feats.mean((2, 3))])


def ema_update(model: nn.Module) -> None:
    """The momentum update at the start of a docseg_mm training step."""
    model.target_net.update_parameters(nn.Sequential(model.backbone,
                                                     model.neck))


def compare_selfdocseg(report: ParityReport, phase: str,
                       original: Dict[str, Tensor], ours: Dict[str, Tensor],
                       original_sd: Optional[Dict[str, Tensor]] = None,
                       ours_sd: Optional[Dict[str, Tensor]] = None,
                       stat_keys: Optional[Dict[str, str]] = None) -> None:
    """Append one phase: every output of ``original`` and, with the state
    dicts, the largest difference of the momentum branch's BN running
    statistics (``stat_keys``: original key -> docseg_mm key).
    """
    for key, value in original.items():
        if key not in ours:
            report.errors.append(f'{phase}: {key} missing in docseg_mm')
            continue
        report.add(phase, key, value, ours[key])
    if original_sd is None:
        return
    if not stat_keys:
        report.errors.append(f'{phase}: no momentum BN statistics given')
        return
    report.add(phase, 'momentum_bn_stats',
               torch.cat([original_sd[k].reshape(-1) for k in stat_keys]),
               torch.cat([ours_sd[v].reshape(-1)
                          for v in stat_keys.values()]))


def momentum_stat_keys(mapping: Dict[str, str]) -> Dict[str, str]:
    """The momentum branch's BN running statistics of a conversion mapping
    (original key -> docseg_mm key)."""
    return {k: v for k, v in mapping.items()
            if v.startswith('target_net.') and 'running_' in v}


def run_phases(report: ParityReport, original: nn.Module, ours: nn.Module,
               original_outputs: Callable, original_update: Callable,
               original_train_pass: Callable, stat_keys: Dict[str, str],
               seed: int = 0, size=(128, 96)) -> None:
    """Phases A (converted), B (one momentum update), C (train-mode
    momentum passes of two views, then a second update), compared in eval
    mode on the same random pages.

    Args:
        report (ParityReport): Receives the rows.
        original (nn.Module): The original model.
        ours (nn.Module): The converted docseg_mm model.
        original_outputs (Callable): ``f(x) -> dict`` as
            :func:`selfdocseg_outputs`.
        original_update (Callable): The original's momentum update.
        original_train_pass (Callable): ``f(views)``: its momentum passes.
        stat_keys (dict): Momentum BN statistics, original key ->
            docseg_mm key (see :func:`momentum_stat_keys`).
        seed (int): Pages. Defaults to 0.
        size (tuple): Page ``(H, W)``. Defaults to (128, 96).
    """
    gen = torch.Generator().manual_seed(seed + 1)
    page = torch.rand(2, 3, *size, generator=gen) * 2 - 1
    views = [torch.rand(2, 3, *size, generator=gen) * 2 - 1 for _ in '01']

    def phase(tag):
        original.eval()
        ours.eval()
        compare_selfdocseg(report, tag, original_outputs(page),
                           selfdocseg_outputs(ours, page),
                           original.state_dict(), ours.state_dict(), stat_keys)

    phase('A converted')
    original_update()
    ema_update(ours)
    phase('B one EMA update')
    original.train()
    original_train_pass(views)
    momentum_train_pass(ours, views)
    original_update()
    ema_update(ours)
    phase('C train pass + update')


def nearest_c5(feat: Tensor, factor: int = 4) -> Tensor:
    """C5 of an x``factor`` nearest-upsampled map (every ``factor``-th
    pixel), checked to be constant over each block."""
    c5 = feat[..., ::factor, ::factor]
    up = F.interpolate(c5, scale_factor=factor, mode='nearest')
    if not torch.equal(up, feat):
        raise ValueError('the feature map is not a nearest upsampling')
    return c5
