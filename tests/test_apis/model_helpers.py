# Copyright (c) docseg_mm contributors. All rights reserved.
"""Randomly initialised demo-sized models written as config + checkpoint."""
import os.path as osp
from typing import Sequence, Tuple

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_MASK_RCNN = osp.join(REPO, 'configs', 'demo',
                          'mask-rcnn_r18_fpn_1xb4-400i_demo-doclaynet.py')
DEMO_DOCSAM = osp.join(REPO, 'configs', 'docsam',
                       'docsam_swin-n_1xb2-400i_demo-two-classsets.py')
DEMO_DIG = osp.join(REPO, 'configs', 'dig',
                    'dig-recog_vit-demo-p32x4_1xb32-2500i_rendered-words.py')

DOCSAM_CONFIG = '''
_base_ = [{base!r}]
# a smaller page than the demo's 320-pixel short side keeps the test fast
test_pipeline = [
    dict(type='LoadDocImageFromFile'),
    dict(type='RandomShortSideResize', test_short=160, long_max_ratio=2.0),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
test_dataloader = dict(dataset=dict(_delete_=True, type='DocSAMCocoDataset',
                                    pipeline=test_pipeline))
'''


def _build(cfg, seed: int):
    from docseg_mm.registry import MODELS
    from docseg_mm.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def write_random_checkpoint(config: str, path: str, seed: int = 0,
                            **cfg_updates) -> str:
    """Build ``config``'s model with random weights and save it."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(cfg_updates)
    model = _build(cfg, seed)
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def write_embeddings(path: str, names: Sequence[str], dims: int = 384,
                     seed: int = 0) -> str:
    """A class-name embeddings file with random vectors."""
    g = torch.Generator().manual_seed(seed)
    torch.save(dict(model='random-test-vectors', embed_dims=dims,
                    pooling='mean', normalized=False,
                    embeddings={n: torch.randn(dims, generator=g)
                                for n in names}), path)
    return path


def write_tiny_docsam(folder: str, names: Sequence[str]) -> Tuple[str, str,
                                                                 str]:
    """Demo DocSAM (random weights) with a precomputed embeddings file.

    Returns:
        tuple: config, checkpoint and embeddings file paths.
    """
    emb = write_embeddings(osp.join(folder, 'names.pth'), names)
    cfg_path = osp.join(folder, 'docsam_tiny.py')
    with open(cfg_path, 'w') as f:
        f.write(DOCSAM_CONFIG.format(base=DEMO_DOCSAM))
    ckpt = write_random_checkpoint(
        cfg_path, osp.join(folder, 'docsam_tiny.pth'),
        **{'model.head.text_encoder': dict(type='ClassNameEncoder',
                                           embeddings_file=emb)})
    return cfg_path, ckpt, emb
