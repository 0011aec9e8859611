# Copyright (c) docseg_mm contributors. All rights reserved.
"""The original SelfDocSeg side of the parity check (see
:mod:`.selfdocseg_parity`).

``pretraining/train_ssl.py`` of a SelfDocSeg checkout (github
MaitySubhajit/SelfDocSeg) defines its ``SelfDocSeg`` LightningModule inside
``if __name__ == "__main__":``, so it cannot be imported: the class
definition is read from the file (``ast``) and executed with the names the
script imports. Its momentum update is the first statements of its own
``training_step`` (the ``utils.update_momentum`` calls), executed the same
way. Nothing is copied.

The lightly pieces it uses (``models.utils``, ``models.modules.heads``,
``loss.NegativeCosineSimilarity``, ``utils.BenchmarkModule``) come from an
installed ``lightly`` or, if that package cannot be imported, from the files
of a lightly source folder (``--lightly-dir``, e.g. ``pip install --no-deps
--target DIR lightly==1.2.35``), loaded without lightly's package
``__init__`` (which needs hydra and the API client). ``BenchmarkModule``
(the kNN-evaluation base, a ``pl.LightningModule``) is then replaced by a
module holding the same state: ``dummy_param`` and an empty ``backbone``.
"""
import ast
import copy
import importlib
import importlib.util
import os.path as osp
import sys
import types
from typing import Callable, Dict, List, Optional, Tuple

import torch
from torch import Tensor, nn

from .selfdocseg import convert_lightning_state_dict
from .selfdocseg_parity import (CONFIG, build_selfdocseg, momentum_stat_keys,
                                nearest_c5, run_phases)
from .parity import DEFAULT_TOL, ParityReport

#: The original's training script, relative to the checkout.
SCRIPT = osp.join('pretraining', 'train_ssl.py')


class BenchmarkModuleState(nn.Module):
    """State of lightly's ``BenchmarkModule`` (without Lightning)."""

    def __init__(self, dataloader_kNN=None, num_classes: int = 0,
                 knn_k: int = 200, knn_t: float = 0.1) -> None:
        super().__init__()
        self.backbone = nn.Module()
        self.max_accuracy = 0.0
        self.dataloader_kNN = dataloader_kNN
        self.num_classes = num_classes
        self.knn_k, self.knn_t = knn_k, knn_t
        self.dummy_param = nn.Parameter(torch.empty(0))


def load_lightly(lightly_dir: Optional[str] = None) -> Tuple[Dict, str]:
    """The lightly pieces: ``{'utils', 'heads', 'NegativeCosineSimilarity',
    'BenchmarkModule'}`` and where they came from."""
    try:
        utils = importlib.import_module('lightly.models.utils')
        heads = importlib.import_module('lightly.models.modules.heads')
        loss = importlib.import_module('lightly.loss')
        try:
            bench = importlib.import_module('lightly.utils').BenchmarkModule
        except (ImportError, AttributeError):
            bench = BenchmarkModuleState
        return dict(utils=utils, heads=heads, BenchmarkModule=bench,
                    NegativeCosineSimilarity=loss.NegativeCosineSimilarity
                    ), f'installed lightly {getattr(loss, "__file__", "")}'
    except ImportError as e:
        if lightly_dir is None:
            raise ImportError(
                f'the original SelfDocSeg needs lightly ({e}); install it '
                '(e.g. in a throwaway venv) or pass --lightly-dir with a '
                'lightly source folder (pip install --no-deps --target DIR '
                'lightly==1.2.35; DIR/lightly)') from e
    for name in ('lightly', 'lightly.models', 'lightly.models.modules',
                 'lightly.loss'):
        mod = types.ModuleType(name)
        mod.__path__ = []
        sys.modules[name] = mod
    files = dict(utils=('lightly.models.utils', 'models/utils.py'),
                 heads=('lightly.models.modules.heads',
                        'models/modules/heads.py'),
                 loss=('lightly.loss.negative_cosine_similarity',
                       'loss/negative_cosine_similarity.py'))
    mods = {}
    for key, (name, rel) in files.items():
        path = osp.join(lightly_dir, rel)
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path} not found: --lightly-dir must '
                                    'be the folder of the lightly package')
        spec = importlib.util.spec_from_file_location(name, path)
        mods[key] = importlib.util.module_from_spec(spec)
        sys.modules[name] = mods[key]
        spec.loader.exec_module(mods[key])
        if key == 'utils':
            sys.modules['lightly.models'].utils = mods[key]
    return dict(utils=mods['utils'], heads=mods['heads'],
                BenchmarkModule=BenchmarkModuleState,
                NegativeCosineSimilarity=mods['loss'].NegativeCosineSimilarity
                ), f'lightly files of {lightly_dir} (BenchmarkModule state)'


def load_original(repo_dir: str, lightly: Dict,
                  wt_momentum: float = 0.99) -> Tuple[type, Callable]:
    """The original ``SelfDocSeg`` class and its momentum update.

    Returns:
        tuple[type, Callable]: The class and ``update(model)``, the leading
        ``utils.update_momentum`` statements of its ``training_step``.

    Raises:
        FileNotFoundError: If ``repo_dir`` has no :data:`SCRIPT`.
        ValueError: If the script has no such class or update.
    """
    path = osp.join(osp.abspath(repo_dir), SCRIPT)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{repo_dir} is not a SelfDocSeg checkout: {SCRIPT} not found '
            '(clone github.com/MaitySubhajit/SelfDocSeg and pass its folder)')
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    classes = [n for n in ast.walk(tree)
               if isinstance(n, ast.ClassDef) and n.name == 'SelfDocSeg']
    if not classes:
        raise ValueError(f'{path}: no class SelfDocSeg')
    step = [n for n in classes[0].body if isinstance(n, ast.FunctionDef)
            and n.name == 'training_step']
    updates = []
    for stmt in (step[0].body if step else []):
        call = getattr(stmt, 'value', None)
        if not (isinstance(call, ast.Call) and 'update_momentum'
                in ast.unparse(call.func)):
            break
        updates.append(stmt)
    if not updates:
        raise ValueError(f'{path}: training_step does not start with the '
                         'momentum update (utils.update_momentum)')
    update_fn = ast.FunctionDef(
        name='momentum_update', args=ast.arguments(
            posonlyargs=[], args=[ast.arg('self')], kwonlyargs=[],
            kw_defaults=[], defaults=[]),
        body=updates, decorator_list=[], returns=None, type_params=[])
    module = ast.fix_missing_locations(
        ast.Module(body=[classes[0], update_fn], type_ignores=[]))
    import cv2
    import numpy as np
    import torchvision
    namespace = dict(
        __name__='selfdocseg_original', copy=copy, torch=torch, nn=nn,
        torchvision=torchvision, np=np, cv2=cv2, utils=lightly['utils'],
        heads=lightly['heads'], BenchmarkModule=lightly['BenchmarkModule'],
        lightly=types.SimpleNamespace(loss=types.SimpleNamespace(
            NegativeCosineSimilarity=lightly['NegativeCosineSimilarity'])),
        wt_momentum=wt_momentum, alpha=1.0, beta=1.0)
    exec(compile(module, path, 'exec'), namespace)
    return namespace['SelfDocSeg'], namespace['momentum_update']


def randomize(model: nn.Module, seed: int) -> None:
    """Random norm weights / biases; the momentum branch's parameters move
    off the online ones (a trained checkpoint's momentum branch is an
    average of earlier weights); BN statistics from train-mode passes over
    random pages, different ones for each branch."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.startswith('backbone.') or t.numel() == 0 or \
                    'running' in name or 'num_batches' in name:
                continue
            noise = torch.randn(t.shape, generator=gen)
            if name.endswith('weight') and t.dim() == 1:
                t.copy_(1 + 0.1 * noise)
            elif name.endswith('bias'):
                t.copy_(0.1 * noise)
            elif 'momentum' in name:
                t.add_(0.01 * noise * t.std().clamp(min=1e-3))
        model.train()
        for branch, head in ((model.bb_feat, model.projection_head),
                             (model.bb_feat_momentum,
                              model.projection_head_momentum)):
            bns = [m for m in branch.modules()
                   if isinstance(m, nn.BatchNorm2d)]
            for m in bns:
                m.momentum = None  # cumulative average
            for _ in range(3):
                x = torch.rand(4, 3, 96, 64, generator=gen) * 2 - 1
                head(branch(x).mean((2, 3)))
            for m in bns:
                m.momentum = 0.1
    model.eval()


def original_outputs(model: nn.Module, x: Tensor) -> Dict[str, Tensor]:
    """Eval-mode outputs of the original (the keys of
    :func:`~.selfdocseg_parity.selfdocseg_outputs`), through its own
    ``forward`` / ``forward_momentum``."""
    with torch.no_grad():
        feat = model.forward(x, train=True)
        layout = model.mask_localizer(torch.cat([feat, feat.flip(0)], 1))
        z = model.projection_head(model.bb_vec(feat).flatten(1))
        mfeat = model.forward_momentum(x, train=True)
        return dict(online_c5=nearest_c5(feat), layout_prob=nearest_c5(layout),
                    online_z=z, online_p=model.forward(x),
                    momentum_c5=nearest_c5(mfeat),
                    momentum_z=model.forward_momentum(x))


def momentum_train_pass(model: nn.Module, views: List[Tensor]) -> None:
    """The momentum passes of ``training_step`` in train mode (the whole
    page as the one pooled object)."""
    with torch.no_grad():
        for v in views:
            feat = model.forward_momentum(v, train=True)
            model.projection_head_momentum(feat.mean((2, 3)))


def check_selfdocseg_parity(repo_dir: str,
                            lightly_dir: Optional[str] = None,
                            config: str = CONFIG,
                            seed: int = 0,
                            tol: float = DEFAULT_TOL,
                            break_key: Optional[str] = None,
                            break_delta: float = 0.1) -> ParityReport:
    """Build, randomise, convert, update and compare (phases A, B, C of
    :func:`~.selfdocseg_parity.run_phases`).

    Args:
        repo_dir (str): SelfDocSeg checkout.
        lightly_dir (str, optional): lightly package folder, used if lightly
            cannot be imported. Defaults to None.
        config (str): docseg_mm config. Defaults to :data:`CONFIG`.
        seed (int): Weights and pages. Defaults to 0.
        tol (float): Defaults to 1e-3.
        break_key (str, optional): docseg_mm parameter moved by
            ``break_delta`` after loading. Defaults to None.
        break_delta (float): Defaults to 0.1.

    Returns:
        ParityReport: Rows of the three phases.
    """
    lightly, source = load_lightly(lightly_dir)
    cls, update = load_original(repo_dir, lightly)
    torch.manual_seed(seed)
    original = cls(None, 0)
    randomize(original, seed)
    state_dict, conv = convert_lightning_state_dict(
        original.state_dict(), ema_steps=1)
    report = ParityReport('SelfDocSeg (ResNet-50), online and momentum '
                          'branches', tol=tol, notes=[f'lightly: {source}'])
    report.notes.append(f'{len(original.state_dict())} source tensors -> '
                        f'{len(state_dict)} ({len(conv.dropped)} dropped)')
    ours = build_selfdocseg(config)
    ours.load_state_dict(state_dict, strict=True)
    if break_key is not None:
        with torch.no_grad():
            dict(ours.named_parameters())[break_key].add_(break_delta)
        report.notes.append(f'{break_key} moved by {break_delta} on purpose')
    run_phases(report, original, ours,
               lambda x: original_outputs(original, x),
               lambda: update(original),
               lambda views: momentum_train_pass(original, views),
               momentum_stat_keys(conv.mapped), seed=seed)
    return report
