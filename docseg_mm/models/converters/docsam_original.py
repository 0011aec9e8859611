# Copyright (c) docseg_mm contributors. All rights reserved.
"""The original DocSAM side of the parity check (see :mod:`.docsam_parity`).

Imports ``models/mask2former`` from a user's DocSAM checkout (github
xhli-git/DocSAM), builds ``Mask2FormerForUniversalSegmentation`` as
``models/DocSAM.py`` configures it, shrunk to :data:`SMALL`, and runs it.
Nothing of the original is copied; what is replaced while it runs:

* ``torch_dct`` (imported by ``modeling_mask2former.py``, never used) is an
  empty module if it is not installed;
* the sentence encoder: ``AutoConfig/AutoTokenizer/AutoModel`` of the
  original module are patched during construction so that a tiny random
  BERT is built instead of reading ``config.sentence_path`` (no hub), and
  ``extract_text_feature`` returns the fixed class-name embeddings;
* ``decoder.select_queries`` is wrapped (result unchanged) to record the
  query padding masks, and the original's eval-mode debug ``print`` is
  swallowed.
"""
import importlib
import io
import os.path as osp
import sys
import tempfile
import types
from collections import OrderedDict
from contextlib import redirect_stdout
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from .docsam import build_report, convert_docsam_state_dict
from .docsam_parity import (CLASS_NAMES, CLASS_NAMES_EQUAL, SMALL,
                            batch_pages, build_small_docsam, make_pages,
                            random_class_embeddings, run_docsam,
                            save_embeddings_file)
from .parity import DEFAULT_TOL, ParityReport, compare_query_stages

#: The original's model file, relative to the checkout.
MODEL_FILE = osp.join('models', 'mask2former', 'modeling_mask2former.py')


def import_original(repo_dir: str) -> Tuple[types.ModuleType, List[str]]:
    """Import ``models.mask2former.modeling_mask2former`` from ``repo_dir``.

    Returns:
        tuple[module, list[str]]: The module and notes on what was stubbed.

    Raises:
        FileNotFoundError: If ``repo_dir`` has no :data:`MODEL_FILE`.
        ImportError: If another ``models`` package is already imported.
    """
    repo_dir = osp.abspath(repo_dir)
    if not osp.isfile(osp.join(repo_dir, MODEL_FILE)):
        raise FileNotFoundError(
            f'{repo_dir} is not a DocSAM checkout: {MODEL_FILE} not found '
            '(clone github.com/xhli-git/DocSAM and pass its folder)')
    loaded = sys.modules.get('models')
    if loaded is not None and not osp.abspath(
            getattr(loaded, '__file__', '') or '').startswith(repo_dir):
        raise ImportError(f'a different "models" package is imported '
                          f'({loaded}); run the check in a fresh process')
    notes = []
    try:
        importlib.import_module('torch_dct')
    except ImportError:
        sys.modules['torch_dct'] = types.ModuleType('torch_dct')
        notes.append('torch_dct not installed: an empty module stands in '
                     '(the original imports it and never uses it)')
    if repo_dir not in sys.path:
        sys.path.insert(0, repo_dir)
    return importlib.import_module(
        'models.mask2former.modeling_mask2former'), notes


def build_original(module: types.ModuleType,
                   embeddings: Dict[str, Tensor],
                   query_selection: bool = True,
                   num_stages: int = SMALL['num_stages'],
                   init_std: float = 0.02) -> nn.Module:
    """The original model in the small configuration, random weights.

    Args:
        module (module): From :func:`import_original`.
        embeddings (dict): Class name -> embedding (the text encoder).
        query_selection (bool): ``config.query_selection``. Defaults to
            True (what ``DocSAM.py`` sets).
        num_stages (int): ``config.decoder_layers``. Defaults to 2.
        init_std (float): ``config.init_std`` (HF init). Defaults to 0.02.

    Returns:
        nn.Module: ``Mask2FormerForUniversalSegmentation`` in eval mode.
    """
    from transformers import BertConfig, BertModel, SwinConfig
    s = SMALL
    swin = SwinConfig(
        image_size=224, in_channels=3, patch_size=4,
        embed_dim=s['swin_embed_dims'], depths=list(s['swin_depths']),
        num_heads=list(s['swin_heads']), window_size=s['window_size'],
        drop_path_rate=0.0, use_absolute_embeddings=False,
        out_features=['stage1', 'stage2', 'stage3', 'stage4'])
    cfg = module.Mask2FormerConfig(backbone_config=swin)
    overrides = dict(  # models/DocSAM.py, shrunk
        sentence_path='<fixed random class-name embeddings>',
        num_queries=s['num_queries'], query_selection=query_selection,
        min_num_queries=s['min_queries'], max_num_queries=s['max_queries'],
        class_weight=1.0, sml1_weight=1.0, diou_weight=1.0, dice_weight=5.0,
        focal_weight=5.0, init_std=init_std,
        encoder_layers=s['encoder_layers'], decoder_layers=num_stages,
        num_levels=4, is_multi_scale=True, hidden_dim=s['dims'],
        feature_size=s['dims'], mask_feature_size=s['dims'],
        feature_strides=[4, 8, 16, 32], num_attention_heads=s['heads'],
        dim_feedforward=s['ffn_dims'],
        encoder_feedforward_dim=s['encoder_ffn_dims'])
    for key, value in overrides.items():
        setattr(cfg, key, value)
    bert = BertConfig(vocab_size=32, hidden_size=8, num_hidden_layers=1,
                      num_attention_heads=1, intermediate_size=8,
                      max_position_embeddings=16)
    patches = dict(
        AutoConfig=types.SimpleNamespace(
            from_pretrained=lambda *a, **k: bert),
        AutoTokenizer=types.SimpleNamespace(
            from_pretrained=lambda *a, **k: None),
        AutoModel=types.SimpleNamespace(
            from_pretrained=lambda *a, **k: BertModel(bert)))
    saved = {k: getattr(module, k) for k in patches}
    try:
        for key, value in patches.items():
            setattr(module, key, value)
        model = module.Mask2FormerForUniversalSegmentation(cfg)
    finally:
        for key, value in saved.items():
            setattr(module, key, value)

    def extract_text_feature(texts, device):
        emb = torch.stack([embeddings[t] for t in texts]).to(device)
        return emb, emb

    model.model.transformer_module.extract_text_feature = \
        extract_text_feature
    return model.eval()


def perturb(model: nn.Module, seed: int, scale: float = 0.1) -> None:
    """Move norm weights, biases, level embeddings and position tables off
    their init (N(0, ``scale``)) so that a mismatch in any of them shows.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if 'textual_encoder' in name:
                continue
            if name.endswith('bias') or 'norm' in name or p.dim() == 1 \
                    or 'level_embed' in name or 'position_embed' in name:
                p.add_(torch.randn(p.shape, generator=gen) * scale)


@torch.no_grad()
def run_original(model: nn.Module, pages: Sequence[Tensor],
                 names: Sequence[Sequence[str]]) -> List[Dict[str, Tensor]]:
    """Per-stage outputs of the original (keys as :func:`run_docsam`)."""
    x, mask, boxes = batch_pages(pages)
    decoder = model.model.transformer_module.decoder
    select = decoder.select_queries
    pads = []

    def recording_select(*args, **kwargs):
        out = select(*args, **kwargs)
        pads.append(out[3])
        return out

    decoder.select_queries = recording_select
    try:
        with redirect_stdout(io.StringIO()):
            out = model(pixel_values=x, class_names=[list(n) for n in names],
                        pixel_mask=mask, image_bboxes=boxes)
    finally:
        del decoder.select_queries
    num = out.transformer_decoder_bbox_predictions[0].shape[1]
    pads = [torch.zeros(len(pages), num, dtype=torch.bool)] + pads
    stages = []
    for i in range(len(out.transformer_decoder_bbox_predictions)):
        if i >= len(pads):  # no query selection
            pads.append(pads[-1])
        stages.append(dict(
            padding_mask=pads[i],
            sem_logits=out.transformer_decoder_semantic_masks[i],
            mask_logits=out.transformer_decoder_instance_masks[i],
            boxes=out.transformer_decoder_bbox_predictions[i],
            cls_logits=out.transformer_decoder_cate_predictions[i]))
    return stages


def check_docsam_parity(repo_dir: str,
                        query_selection: bool = True,
                        equal_class_counts: Optional[bool] = None,
                        num_stages: int = SMALL['num_stages'],
                        init_std: float = 0.02,
                        seed: int = 0,
                        tol: float = DEFAULT_TOL,
                        break_key: Optional[str] = None,
                        break_delta: float = 0.1) -> ParityReport:
    """Build, convert, run and compare one variant.

    Args:
        repo_dir (str): DocSAM checkout.
        query_selection (bool): Defaults to True.
        equal_class_counts (bool, optional): Both pages get 5 class names.
            Defaults to None: True without query selection (see the
            README), else False.
        num_stages (int): Decoder stages. Defaults to 2.
        init_std (float): The original's ``init_std``. Defaults to 0.02.
        seed (int): Weights, pages and embeddings. Defaults to 0.
        tol (float): Tolerance of the report. Defaults to 1e-3.
        break_key (str, optional): docseg_mm parameter to which
            ``break_delta`` is added after loading (shows a failing check).
            Defaults to None.
        break_delta (float): Defaults to 0.1.

    Returns:
        ParityReport: Rows for every stage; conversion problems as errors.
    """
    if equal_class_counts is None:
        equal_class_counts = not query_selection
    names = CLASS_NAMES_EQUAL if equal_class_counts else CLASS_NAMES
    module, notes = import_original(repo_dir)
    embeddings = random_class_embeddings(names, seed=seed)
    torch.manual_seed(seed)
    original = build_original(module, embeddings, query_selection,
                              num_stages, init_std)
    perturb(original, seed)
    source = OrderedDict(('mask2former.' + k, v)
                         for k, v in original.state_dict().items())
    converted, unused, mapping = convert_docsam_state_dict(
        source, drop_text_encoder=True)
    report = ParityReport(
        f'DocSAM, query selection {"on" if query_selection else "off"}, '
        f'{num_stages} stages, class counts {[len(n) for n in names]}',
        tol=tol, notes=notes)
    report.notes.append(f'{len(source)} source tensors -> {len(converted)} '
                        f'converted, {len(unused)} unused:')
    for reason, keys in build_report(
            unused, mapping).dropped_by_reason().items():
        report.notes.append(f'  {len(keys)} {reason.split(" (")[0]}')
    with tempfile.TemporaryDirectory() as tmp:
        file = save_embeddings_file(embeddings, osp.join(tmp, 'emb.pth'))
        ours = build_small_docsam(file, query_selection=query_selection,
                                  num_stages=num_stages)
    missing, unexpected = ours.load_state_dict(converted, strict=False)
    if missing or unexpected:
        report.errors.append(f'load: missing {list(missing)[:5]}, '
                             f'unexpected {list(unexpected)[:5]}')
    if break_key is not None:
        with torch.no_grad():
            dict(ours.named_parameters())[break_key].add_(break_delta)
        report.notes.append(f'{break_key} moved by {break_delta} on purpose')
    pages = make_pages(seed)
    compare_query_stages(report, run_original(original, pages, names),
                         run_docsam(ours, pages, names),
                         [len(n) for n in names])
    return report
