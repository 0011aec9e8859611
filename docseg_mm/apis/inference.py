# Copyright (c) docseg_mm contributors. All rights reserved.
"""``init_model`` / ``inference_model`` for every model family.

The short helpers of mmdet's ``init_detector`` / ``inference_detector``:
a model from a config file (or a metafile model name, or the config saved
in the checkpoint) and a checkpoint read safely
(:func:`docseg_mm.utils.load_checkpoint_file`), and a per-image prediction
with the config's own test pipeline (its loading and annotation steps
replaced by the inferencer's page loading).
"""
import copy
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config, ConfigDict
from mmengine.dataset import pseudo_collate
from mmengine.fileio import load
from mmengine.logging import print_log
from mmengine.model import revert_sync_batchnorm
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from torch import nn

from docseg_mm.registry import MODELS
from docseg_mm.utils import load_checkpoint_file, register_all_modules
from .model_families import Family, dataset_meta_from_cfg

ConfigLike = Union[str, Config, ConfigDict, dict, None]
ImageInput = Union[str, np.ndarray]

#: Text-encoder weights a DocSAM checkpoint may hold that a model built
#: with a precomputed class-name embeddings file has no place for.
TEXT_ENCODER_PREFIX = 'head.text_encoder.bert.'


def _roots() -> List[str]:
    """Folders that may hold ``configs/``: the repository, or the
    package's ``.mim`` folder of an installed wheel."""
    pkg = osp.dirname(osp.dirname(osp.abspath(__file__)))
    return [osp.dirname(pkg), osp.join(pkg, '.mim')]


def find_metafile_model(name: str) -> Tuple[str, Optional[str]]:
    """Config file (and weights, if listed) of a metafile model name.

    Args:
        name (str): ``Name`` or ``Alias`` in a ``configs/*/metafile.yml``
            (case-insensitive), or a config file name without folder.

    Returns:
        tuple[str, str | None]: Config path and ``Weights`` (None when the
        metafile lists none).

    Raises:
        FileNotFoundError: If no metafile names it.
    """
    import glob
    wanted = name.lower()
    for root in _roots():
        for meta in sorted(glob.glob(osp.join(root, 'configs', '*',
                                              'metafile.yml'))):
            for model in (load(meta) or {}).get('Models', []) or []:
                aliases = model.get('Alias', []) or []
                aliases = [aliases] if isinstance(aliases, str) else aliases
                names = [model.get('Name', '')] + list(aliases)
                if wanted in (n.lower() for n in names):
                    weights = model.get('Weights')
                    if isinstance(weights, list):
                        weights = weights[0] if weights else None
                    return osp.join(root, model['Config']), weights
        hits = glob.glob(osp.join(root, 'configs', '*', name + '.py')) + \
            glob.glob(osp.join(root, 'configs', '*', name))
        if hits:
            return hits[0], None
    raise FileNotFoundError(
        f'{name!r} is neither a config file nor a model name of a '
        'configs/*/metafile.yml')


def load_config(config: ConfigLike,
                checkpoint: Optional[dict] = None,
                cfg_options: Optional[dict] = None) -> Config:
    """A config from a path, a metafile name, a dict, or the checkpoint.

    Raises:
        ValueError: If no config is given and the checkpoint has none.
    """
    if isinstance(config, str):
        path = config if osp.isfile(config) else \
            find_metafile_model(config)[0]
        cfg = Config.fromfile(path)
    elif isinstance(config, (Config, ConfigDict, dict)):
        cfg = Config(copy.deepcopy(dict(config)))
    elif checkpoint is not None and 'cfg' in checkpoint.get('meta', {}):
        cfg = Config.fromstring(checkpoint['meta']['cfg'], '.py')
    else:
        raise ValueError('give a config (file, metafile model name or dict); '
                         'the checkpoint does not hold one')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def _drop_pretrained(cfg: ConfigDict) -> None:
    """Do not fetch pretrained weights: the checkpoint brings all."""
    if isinstance(cfg, dict):
        cfg.pop('pretrained', None)
        init = cfg.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            cfg['init_cfg'] = None
        for value in cfg.values():
            if isinstance(value, dict):
                _drop_pretrained(value)


def init_model(config: ConfigLike,
               checkpoint: Optional[str] = None,
               device: Optional[str] = None,
               cfg_options: Optional[dict] = None,
               class_embeddings: Optional[str] = None) -> nn.Module:
    """Build a model for inference and load its weights.

    Args:
        config (str | Config | dict | None): Config file, metafile model
            name or config; None takes the config saved in the checkpoint.
        checkpoint (str, optional): Checkpoint file (read with
            ``weights_only=True``). Defaults to None (random weights, with
            a warning).
        device (str, optional): ``'cpu'``, ``'cuda'``, ``'cuda:1'``...
            Defaults to None (CUDA when available).
        cfg_options (dict, optional): Config overrides. Defaults to None.
        class_embeddings (str, optional): DocSAM: a class-name embeddings
            file (``tools/misc/docsam_embed_class_names.py``) used instead
            of the text model. Defaults to None.

    Returns:
        nn.Module: The model in eval mode on ``device``, with ``cfg``,
        ``dataset_meta`` (``classes``, ``palette``) and ``family``.
    """
    register_all_modules(init_default_scope=True)
    ckpt = load_checkpoint_file(checkpoint, map_location='cpu') \
        if checkpoint else None
    cfg = load_config(config, ckpt, cfg_options)
    model_cfg = copy.deepcopy(cfg.model)
    _drop_pretrained(model_cfg)
    if class_embeddings:
        model_cfg.head.text_encoder = dict(
            type='ClassNameEncoder', embeddings_file=class_embeddings)
    model = MODELS.build(model_cfg)
    if ckpt is not None:
        state = ckpt.get('state_dict', ckpt)
        if class_embeddings and not any(
                k.startswith(TEXT_ENCODER_PREFIX)
                for k in model.state_dict()):
            state = {k: v for k, v in state.items()
                     if not k.startswith(TEXT_ENCODER_PREFIX)}
        _load_checkpoint_to_model(model, dict(state_dict=state))
    else:
        print_log('init_model: no checkpoint given, the model has random '
                  'weights', logger='current', level=30)
    meta = dict((ckpt or {}).get('meta', {}).get('dataset_meta') or {})
    if not meta.get('classes'):
        meta = dataset_meta_from_cfg(cfg)
    model.dataset_meta = {k: meta[k] for k in ('classes', 'palette')
                          if meta.get(k) is not None}
    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if str(device) == 'cpu':
        model = revert_sync_batchnorm(model)
    model.cfg = cfg
    model.to(device)
    model.eval()
    model.family = Family(model).name
    return model


def _find_pipeline(cfg: Config) -> Optional[list]:
    """The test pipeline of a config (nested datasets searched)."""
    def search(ds):
        if not isinstance(ds, dict):
            return None
        if ds.get('pipeline'):
            return ds['pipeline']
        for child in list(ds.get('datasets') or []) + [ds.get('dataset')]:
            found = search(child)
            if found:
                return found
        return None

    for key in ('test_dataloader', 'val_dataloader'):
        loader = cfg.get(key)
        found = search(loader.get('dataset')) if loader else None
        if found:
            return found
    return cfg.get('test_pipeline')


def _bare_type(transform: dict) -> str:
    t = transform.get('type', '')
    name = t if isinstance(t, str) else getattr(t, '__name__', '')
    return name.split('.')[-1]


def inference_pipeline_cfg(cfg: Config) -> List[dict]:
    """The test pipeline without its loading steps (images and
    annotations are not read from files by the pipeline at inference).

    Raises:
        ValueError: If the config has no test pipeline.
    """
    pipeline = _find_pipeline(cfg)
    if not pipeline:
        raise ValueError('the config has no test pipeline (test_dataloader.'
                         'dataset.pipeline or test_pipeline)')
    return [copy.deepcopy(t) for t in pipeline
            if not _bare_type(t).startswith('Load')]


def build_inference_pipeline(cfg: Config) -> Compose:
    """:func:`inference_pipeline_cfg` built in the docseg_mm scope."""
    register_all_modules(init_default_scope=True)
    return Compose(inference_pipeline_cfg(cfg))


def image_results(img: np.ndarray, path: str = '') -> Dict:
    """The dict a loading transform would have produced."""
    return dict(img=img, img_path=path, img_shape=img.shape[:2],
                ori_shape=img.shape[:2])


def inference_model(model: nn.Module,
                    inputs: Union[ImageInput, Sequence[ImageInput]],
                    classes: Optional[Sequence[str]] = None):
    """Predict images one at a time (mmdet's ``inference_detector``).

    Args:
        model (nn.Module): A model from :func:`init_model`.
        inputs (str | np.ndarray | list): Image files or BGR arrays.
        classes (Sequence[str], optional): DocSAM: the class names to
            segment (the background prompt is appended). Defaults to None
            (the model's dataset classes).

    Returns:
        DataSample | list: The model's data sample(s) (``pred_instances``,
        ``pred_sem_seg`` or ``pred_text``), one per input.
    """
    from .page_loader import PageLoader
    from .sources import PageSource
    helper = getattr(model, '_docseg_inference', None)
    if helper is None:
        helper = (build_inference_pipeline(model.cfg), Family(model),
                  PageLoader(with_text=False))
        model._docseg_inference = helper
    pipeline, family, loader = helper
    single = isinstance(inputs, (str, np.ndarray))
    results = []
    for item in ([inputs] if single else list(inputs)):
        if isinstance(item, str):
            page = loader.load(PageSource(item, 'image', None, item))
            if not hasattr(page, 'img'):
                raise OSError(str(page))
            img, path = page.img, item
        else:
            img, path = np.asarray(item), ''
        data = pseudo_collate([pipeline(image_results(img, path))])
        family.prepare(data, classes, images=[img])
        with torch.no_grad():
            results.append(model.test_step(data)[0])
    return results[0] if single else results
