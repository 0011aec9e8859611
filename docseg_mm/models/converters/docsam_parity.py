# Copyright (c) docseg_mm contributors. All rights reserved.
"""DocSAM parity: the original repository against the converted model.

Used by ``tools/analysis_tools/docsam_parity.py``. The original
``Mask2FormerForUniversalSegmentation`` of a DocSAM checkout
(``models/mask2former/``) is built with random weights in a small
configuration (:data:`SMALL`: tiny Swin, few queries, 2 decoder stages), its
state dict saved in the released layout (``mask2former.model.*``) is
converted with :func:`~docseg_mm.models.converters.docsam.
convert_docsam_state_dict` and loaded strictly into docseg_mm's ``DocSAM``
built from :func:`small_docsam_cfg`; both run on the same pages and class
names (:func:`make_pages`) and :func:`compare_query_stages` compares every
stage.

No hub access: the original's sentence encoder (MiniLM, read with
``AutoModel.from_pretrained(config.sentence_path)``) is replaced by fixed
random class-name embeddings (:func:`random_class_embeddings`), fed to the
original through its ``extract_text_feature`` and to docseg_mm through a
``ClassNameEncoder`` embeddings file. The original's code is imported from
the user's checkout, never copied. Functions that touch the original are in
:mod:`.docsam_original`.
"""
import copy
from typing import Dict, List, Sequence, Tuple

import torch
from torch import Tensor, nn

from docseg_mm.registry import MODELS

#: Small configuration shared by both sides.
SMALL = dict(
    swin_embed_dims=32, swin_depths=(2, 2, 2, 2), swin_heads=(1, 2, 4, 8),
    window_size=7, dims=64, heads=4, ffn_dims=128, encoder_layers=2,
    encoder_ffn_dims=128, num_queries=24, min_queries=8, max_queries=16,
    num_stages=2, text_dims=384)

#: Default page sizes ``(H, W)``: different, so that the batch is padded.
PAGE_SIZES: Tuple[Tuple[int, int], ...] = ((288, 256), (256, 320))

#: Class names of the two pages (background last), different counts so
#: that the semantic slots are padded.
CLASS_NAMES: Tuple[Tuple[str, ...], ...] = (
    ('Caption', 'Picture', 'Table', 'Text', 'DemoA _background_'),
    ('Figure', 'List', 'Title', 'DemoB _background_'))

#: Equal class counts (no padded semantic slot); see the README for why the
#: comparison without query selection uses them.
CLASS_NAMES_EQUAL: Tuple[Tuple[str, ...], ...] = (
    CLASS_NAMES[0], ('Figure', 'List', 'Title', 'Formula',
                     'DemoB _background_'))


def small_docsam_cfg(embeddings_file: str,
                     query_selection: bool = True,
                     num_stages: int = SMALL['num_stages']) -> dict:
    """docseg_mm ``DocSAM`` config in the small configuration.

    Args:
        embeddings_file (str): Class-name embeddings file for the
            ``ClassNameEncoder`` (no text model is built).
        query_selection (bool): Decoder query selection (min / max kept
            queries of :data:`SMALL`). Defaults to True.
        num_stages (int): Decoder stages. Defaults to 2.

    Returns:
        dict: Model config (no padding in the data preprocessor, whole-image
        test mode, ``faithful=True`` decoder).
    """
    s = SMALL
    return dict(
        type='DocSAM',
        data_preprocessor=dict(
            type='mmdet.DetDataPreprocessor', mean=[0., 0., 0.],
            std=[1., 1., 1.], bgr_to_rgb=False, pad_size_divisor=1),
        backbone=dict(
            type='mmdet.SwinTransformer', pretrain_img_size=224,
            embed_dims=s['swin_embed_dims'], depths=list(s['swin_depths']),
            num_heads=list(s['swin_heads']), window_size=s['window_size'],
            mlp_ratio=4, qkv_bias=True, drop_path_rate=0.0, patch_norm=True,
            out_indices=(0, 1, 2, 3), convert_weights=False),
        neck=dict(
            type='DocSAMPixelDecoder',
            in_channels=[s['swin_embed_dims'] * 2**i for i in range(4)],
            strides=[4, 8, 16, 32], feat_channels=s['dims'],
            num_encoder_layers=s['encoder_layers'], num_heads=s['heads'],
            ffn_channels=s['encoder_ffn_dims'],
            fusion_mid_channels=s['dims'] // 2),
        head=dict(
            type='DocSAMHead',
            text_encoder=dict(
                type='ClassNameEncoder', embeddings_file=embeddings_file,
                embed_dims=s['text_dims']),
            embed_dims=s['dims'], text_dims=s['text_dims'],
            num_queries=s['num_queries'],
            decoder=dict(
                num_stages=num_stages, num_levels=4, num_heads=s['heads'],
                ffn_dims=s['ffn_dims'], dropout=0.1, roi_size=7,
                box_delta_scale=100.0,
                query_selection=(dict(score_thr=0.01,
                                      min_num=s['min_queries'],
                                      max_num=s['max_queries'], nms_iou=0.9)
                                 if query_selection else None),
                faithful=True)),
        test_cfg=dict(mode='whole'))


def build_small_docsam(embeddings_file: str, **kwargs) -> nn.Module:
    """Build :func:`small_docsam_cfg` (registers docseg_mm's modules)."""
    from docseg_mm.utils import register_all_modules
    register_all_modules()
    model = MODELS.build(small_docsam_cfg(embeddings_file, **kwargs))
    return model.eval()


def random_class_embeddings(names: Sequence[Sequence[str]],
                            dims: int = SMALL['text_dims'],
                            seed: int = 0) -> Dict[str, Tensor]:
    """Fixed random embedding per distinct class name (stand-in for the
    sentence encoder, fed to both sides)."""
    gen = torch.Generator().manual_seed(seed + 7)
    unique = sorted({n for group in names for n in group})
    return {n: torch.randn(dims, generator=gen) * 0.5 for n in unique}


def save_embeddings_file(embeddings: Dict[str, Tensor], path: str) -> str:
    """Write ``embeddings`` as a ``ClassNameEncoder`` embeddings file."""
    dims = len(next(iter(embeddings.values())))
    torch.save(
        dict(model='random (parity check)', embed_dims=dims, pooling='mean',
             normalized=False, embeddings=embeddings), path)
    return path


def make_pages(seed: int = 0,
               sizes: Sequence[Tuple[int, int]] = PAGE_SIZES
               ) -> List[Tensor]:
    """Synthetic BGR 0-255 pages ``(3, H, W)``: white, dark bars, noise."""
    gen = torch.Generator().manual_seed(seed)
    pages = []
    for h, w in sizes:
        img = torch.full((3, h, w), 250.)
        for _ in range(12):
            y0 = int(torch.randint(0, h - 20, (1, ), generator=gen))
            x0 = int(torch.randint(0, w - 40, (1, ), generator=gen))
            hh = int(torch.randint(4, 20, (1, ), generator=gen))
            ww = int(torch.randint(20, w - x0, (1, ), generator=gen))
            val = float(torch.randint(0, 200, (1, ), generator=gen))
            img[:, y0:y0 + hh, x0:x0 + ww] = val
        img += torch.rand(img.shape, generator=gen) * 5
        pages.append(img)
    return pages


def batch_pages(pages: Sequence[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
    """Zero-pad pages to the batch maximum as the original's collate does.

    Returns:
        tuple[Tensor, Tensor, Tensor]: Images ``(B, 3, H, W)``, pixel mask
        ``(B, 1, H, W)`` (1 = page) and image boxes ``(B, 4)`` xyxy.
    """
    h = max(p.shape[1] for p in pages)
    w = max(p.shape[2] for p in pages)
    x = torch.zeros(len(pages), 3, h, w)
    mask = torch.zeros(len(pages), 1, h, w)
    boxes = torch.zeros(len(pages), 4)
    for i, p in enumerate(pages):
        x[i, :, :p.shape[1], :p.shape[2]] = p
        mask[i, :, :p.shape[1], :p.shape[2]] = 1
        boxes[i, 2:] = torch.tensor([p.shape[2], p.shape[1]])
    return x, mask, boxes


@torch.no_grad()
def run_docsam(model: nn.Module, pages: Sequence[Tensor],
               names: Sequence[Sequence[str]]) -> List[Dict[str, Tensor]]:
    """Raw per-stage outputs of docseg_mm's DocSAM on padded ``pages``.

    Returns:
        list[dict]: ``padding_mask``, ``sem_logits``, ``mask_logits``,
        ``boxes``, ``cls_logits`` of every stage.
    """
    from mmdet.structures import DetDataSample
    x, _, _ = batch_pages(pages)
    samples = []
    for page, group in zip(pages, names):
        shape = tuple(page.shape[1:])
        samples.append(DetDataSample(metainfo=dict(
            class_names=tuple(group), img_shape=shape, ori_shape=shape,
            pad_shape=tuple(x.shape[2:]))))
    return model._forward(x, samples)


def perturbed_copy(model: nn.Module, key: str, delta: float) -> nn.Module:
    """Deep copy of ``model`` with ``delta`` added to parameter ``key``
    (a tool self-check and the tests' broken conversion)."""
    other = copy.deepcopy(model)
    with torch.no_grad():
        dict(other.named_parameters())[key].add_(delta)
    return other
