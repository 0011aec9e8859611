# Copyright (c) docseg_mm contributors. All rights reserved.
"""Configure a test run that writes pseudo-label PNGs of a training set
(the first stage of two-stage weakly supervised segmentation)."""
import copy
from typing import Optional

from mmengine.config import Config

_WRAPPERS = ('ConcatDataset', 'RepeatDataset', 'ClassBalancedDataset')


def pseudo_label_config(cfg: Config,
                        out_dir: str,
                        ann_file: Optional[str] = None,
                        tta: bool = True,
                        crf: Optional[bool] = None) -> Config:
    """Turn a training config into a pseudo-label writing test config.

    The test set becomes the training set (``train_dataloader.dataset``,
    optionally with another ``ann_file``) read with the test pipeline (or
    the TTA pipeline and ``tta_model``), the classes of each image are its
    ground-truth image labels (``test_cfg.class_select='gt'``, SLRNet's
    ``--use_cls_label 1``) and mmseg's ``IoUMetric(format_only=True)``
    writes ``<out_dir>/<image stem>.png`` (label values, 0 = background).

    Args:
        cfg (Config): The SLRNet config.
        out_dir (str): Output folder of the PNGs.
        ann_file (str, optional): Split list to label instead of the
            training set's. Defaults to None.
        tta (bool): Multi-scale + flip (``tta_model`` / ``tta_pipeline``).
            Defaults to True.
        crf (bool, optional): Force the dense CRF on / off; None keeps
            ``model.test_cfg.crf``. Defaults to None.

    Returns:
        Config: A new config for ``Runner.test``.
    """
    cfg = copy.deepcopy(cfg)
    dataset = copy.deepcopy(cfg.train_dataloader.dataset)
    if str(dataset.get('type', '')).split('.')[-1] in _WRAPPERS:
        raise ValueError('the training set is a wrapper '
                         f'({dataset.type}); pass ann_file and a config '
                         'whose train_dataloader.dataset is a plain dataset')
    if ann_file is not None:
        dataset.ann_file = ann_file
    pipeline = cfg.get('tta_pipeline') if tta else None
    dataset.pipeline = copy.deepcopy(
        pipeline or cfg.test_dataloader.dataset.pipeline)
    dataset.test_mode = True
    cfg.test_dataloader = dict(
        batch_size=1, num_workers=cfg.test_dataloader.get('num_workers', 2),
        persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=False), dataset=dataset)
    cfg.model.test_cfg = dict(cfg.model.get('test_cfg') or {},
                              class_select='gt')
    if crf is False:
        cfg.model.test_cfg['crf'] = None
    elif crf and not cfg.model.test_cfg.get('crf'):
        from docseg_mm.models.utils import SLRNET_CRF
        cfg.model.test_cfg['crf'] = dict(SLRNET_CRF)
    if tta:
        if not cfg.get('tta_model') or not pipeline:
            raise ValueError('tta=True needs tta_model and tta_pipeline in '
                             'the config')
        cfg.model = dict(**cfg.tta_model, module=cfg.model)
    cfg.test_evaluator = dict(type='mmseg.IoUMetric', format_only=True,
                              output_dir=out_dir)
    return cfg
