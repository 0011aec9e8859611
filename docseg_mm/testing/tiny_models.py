# Copyright (c) docseg_mm contributors. All rights reserved.
"""Shrink rules: ``--cfg-options``-style overrides that make a config's
model small enough for a CPU config test.

A rule is registered for model types (without scope prefix) and returns a
dict of dotted keys to merge into the config (``Config.merge_from_dict``),
exactly what ``tools/train.py CONFIG --cfg-options k=v ...`` would do. It
returns ``{}`` when the model is small already (the demo configs). Every
other setting (losses, heads, assigners, data preprocessors, pipelines)
stays the config's own. Add a rule when a config's model is too big for
:data:`MAX_TRAINABLE_PARAMS`; the config test fails until then.
"""
from typing import Callable, Dict

from mmengine.config import Config, ConfigDict

#: Trainable parameters a (shrunk) model may have in the config test.
MAX_TRAINABLE_PARAMS = 12_000_000

ShrinkRule = Callable[[ConfigDict], Dict[str, object]]
#: Model type name (no scope) -> rule.
SHRINK_RULES: Dict[str, ShrinkRule] = {}


def register_shrink_rule(*model_types: str) -> Callable:
    """Register a shrink rule for model type names (no scope prefix)."""

    def wrap(fn: ShrinkRule) -> ShrinkRule:
        for name in model_types:
            if name in SHRINK_RULES:
                raise KeyError(f'a shrink rule for {name!r} exists already')
            SHRINK_RULES[name] = fn
        return fn

    return wrap


def shrink_overrides(cfg: Config) -> Dict[str, object]:
    """The overrides of the rule for ``cfg.model.type`` ({} without one).
    """
    name = str(cfg.model.type).split('.')[-1]
    rule = SHRINK_RULES.get(name)
    return dict(rule(cfg.model)) if rule else {}


def _resnet_depth(model: ConfigDict) -> int:
    return int(model.get('backbone', {}).get('depth', 0) or 0)


@register_shrink_rule('MaskRCNN')
def shrink_mask_rcnn(model: ConfigDict) -> Dict[str, object]:
    """R-50 Mask R-CNN -> the CPU demo's half-width R-18 with a 64-channel
    FPN (``configs/_base_/models/mask-rcnn_r18_fpn_cpu.py``)."""
    if _resnet_depth(model) <= 18 and model.neck.out_channels <= 64:
        return {}
    width = 64
    return {
        'model.backbone.depth': 18,
        'model.backbone.base_channels': 32,
        'model.neck.in_channels': [32, 64, 128, 256],
        'model.neck.out_channels': width,
        'model.rpn_head.in_channels': width,
        'model.rpn_head.feat_channels': width,
        'model.roi_head.bbox_roi_extractor.out_channels': width,
        'model.roi_head.bbox_head.in_channels': width,
        'model.roi_head.bbox_head.fc_out_channels': 128,
        'model.roi_head.mask_roi_extractor.out_channels': width,
        'model.roi_head.mask_head.in_channels': width,
        'model.roi_head.mask_head.conv_out_channels': width,
    }


TINY_SWIN = dict(embed_dims=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2],
                 window_size=7, mlp_ratio=2, pretrain_img_size=224,
                 drop_path_rate=0.0, init_cfg=None)
SWIN_OUT = [16, 32, 64, 128]


@register_shrink_rule('DocSAM')
def shrink_docsam(model: ConfigDict) -> Dict[str, object]:
    """Swin-B/L DocSAM -> a 16-wide one-block-per-stage Swin, a 32-wide
    pixel decoder and head with 20 queries (the text encoder is frozen and
    kept)."""
    if model.backbone.embed_dims <= 32:
        return {}
    out = {f'model.backbone.{k}': v for k, v in TINY_SWIN.items()}
    out.update({
        'model.neck.in_channels': SWIN_OUT,
        'model.neck.feat_channels': 32,
        'model.neck.num_heads': 2,
        'model.neck.num_encoder_layers': 1,
        'model.neck.ffn_channels': 64,
        'model.neck.fusion_mid_channels': 16,
        'model.neck.norm_cfg': dict(type='GN', num_groups=8),
        'model.head.embed_dims': 32,
        'model.head.num_queries': 20,
        'model.head.decoder.num_stages': 2,
        'model.head.decoder.num_heads': 2,
        'model.head.decoder.ffn_dims': 64,
        'model.head.decoder.num_groups': 8,
        'model.head.decoder.query_selection':
        dict(score_thr=0.01, min_num=5, max_num=20, nms_iou=0.9),
        'model.test_cfg.max_per_img': 20,
    })
    return out


@register_shrink_rule('Mask2Former')
def shrink_mask2former(model: ConfigDict) -> Dict[str, object]:
    """mmdet Mask2Former with Swin-T -> 16-wide Swin, 32-wide head, one
    pixel-decoder and one decoder layer, 10 queries, 256 points."""
    attn = dict(embed_dims=32, num_heads=2)
    ffn = dict(embed_dims=32, feedforward_channels=64)
    out = {f'model.backbone.{k}': v for k, v in TINY_SWIN.items()}
    out.update({
        'model.panoptic_head.in_channels': SWIN_OUT,
        'model.panoptic_head.feat_channels': 32,
        'model.panoptic_head.out_channels': 32,
        'model.panoptic_head.num_queries': 10,
        'model.panoptic_head.pixel_decoder.norm_cfg':
        dict(type='GN', num_groups=8),
        'model.panoptic_head.pixel_decoder.encoder.num_layers': 1,
        'model.panoptic_head.pixel_decoder.encoder.layer_cfg.self_attn_cfg':
        attn,
        'model.panoptic_head.pixel_decoder.encoder.layer_cfg.ffn_cfg': ffn,
        'model.panoptic_head.pixel_decoder.positional_encoding.num_feats': 16,
        'model.panoptic_head.positional_encoding.num_feats': 16,
        'model.panoptic_head.transformer_decoder.num_layers': 1,
        'model.panoptic_head.transformer_decoder.layer_cfg.self_attn_cfg':
        attn,
        'model.panoptic_head.transformer_decoder.layer_cfg.cross_attn_cfg':
        attn,
        'model.panoptic_head.transformer_decoder.layer_cfg.ffn_cfg': ffn,
        'model.train_cfg.num_points': 256,
    })
    return out


def _byol_like(model: ConfigDict, pool_neck: bool) -> Dict[str, object]:
    if _resnet_depth(model) <= 18:
        return {}
    out = {
        'model.backbone.depth': 18,
        'model.backbone.base_channels': 32,
        'model.neck.in_channels': 256,
        'model.neck.hid_channels': 64,
        'model.neck.out_channels': 32,
        'model.head.predictor.in_channels': 32,
        'model.head.predictor.hid_channels': 64,
        'model.head.predictor.out_channels': 32,
    }
    if not pool_neck:  # SelfDocSeg: stem follows base_channels as in mmdet
        out['model.backbone.stem_channels'] = 32
        out['model.layout_head.in_channels'] = 512  # two views' C5
    return out


@register_shrink_rule('SelfDocSeg')
def shrink_selfdocseg(model: ConfigDict) -> Dict[str, object]:
    """R-50 SelfDocSeg -> the demo's half-width R-18, 64-wide projector."""
    return _byol_like(model, pool_neck=False)


@register_shrink_rule('BYOL')
def shrink_byol(model: ConfigDict) -> Dict[str, object]:
    """R-50 BYOL -> half-width R-18, 64-wide projector and predictor."""
    return _byol_like(model, pool_neck=True)


TINY_VIT = dict(_delete_=True, embed_dims=32, num_layers=1, num_heads=2,
                feedforward_channels=64)


@register_shrink_rule('DiG', 'MoCoV3', 'EncoderDecoderRecognizer')
def shrink_dig(model: ConfigDict) -> Dict[str, object]:
    """ViT-S DiG / MoCo v3 / recogniser -> one 32-wide ViT block, 32-wide
    projectors and decoder (the demo ViT keeps its size)."""
    out: Dict[str, object] = {'model.backbone.init_cfg': None}
    small = model.backbone.get('arch') == 'small'
    if small:
        out['model.backbone.arch'] = dict(TINY_VIT)
    width = 32 if small else model.backbone.arch['embed_dims']
    if model.type.endswith('EncoderDecoderRecognizer'):
        out.update({
            'model.neck.in_channels': width,
            'model.neck.out_channels': 32,
            'model.decoder.n_layers': 1, 'model.decoder.d_embedding': 32,
            'model.decoder.n_head': 2, 'model.decoder.d_k': 16,
            'model.decoder.d_v': 16, 'model.decoder.d_model': 32,
            'model.decoder.d_inner': 32, 'model.decoder.max_seq_len': 8,
        })
        return out
    for key in ('neck', 'pix_projector'):
        if key in model and model[key].get('in_channels') == 384:
            out[f'model.{key}.in_channels'] = 32
            out[f'model.{key}.hid_channels'] = 64
            if key == 'pix_projector':
                out[f'model.{key}.out_channels'] = 32
    if model.neck.get('out_channels') == 256:
        out['model.neck.out_channels'] = 16
        out['model.head.predictor.in_channels'] = 16
        out['model.head.predictor.hid_channels'] = 32
        out['model.head.predictor.out_channels'] = 16
    if 'pix_decoder' in model and model.pix_decoder.in_channels == 384:
        out['model.pix_decoder.in_channels'] = 32
    return out


TINY_RESNET_V1C = dict(
    _delete_=True, type='mmseg.ResNetV1c', depth=18, stem_channels=8,
    base_channels=8, out_indices=(0, 3), strides=(1, 2, 2, 1),
    dilations=(1, 1, 1, 2), norm_cfg=dict(type='BN'), init_cfg=None)


@register_shrink_rule('SLRNet', 'CAMSegmentor')
def shrink_slrnet(model: ConfigDict) -> Dict[str, object]:
    """WRN-38 / R-18 SLRNet and CAM -> an 8-wide ResNet-18 (V1c) with the
    head widths to match and 2 PAMR iterations."""
    out: Dict[str, object] = {'model.backbone': dict(TINY_RESNET_V1C)}
    if model.type.endswith('CAMSegmentor'):
        out['model.decode_head.in_channels'] = 64
        return out
    out.update({
        'model.decode_head.in_channels': (8, 64),
        'model.decode_head.channels': 16,
        'model.decode_head.skip_channels': 8,
        'model.decode_head.dilations': (1, 2),
        'model.pamr': dict(num_iter=2, dilations=(1, 2)),
    })
    return out


@register_shrink_rule('EncoderDecoder')
def shrink_encoder_decoder(model: ConfigDict) -> Dict[str, object]:
    """mmseg DeepLabV3+ (R-101 / WRN-38 / R-18) -> an 8-wide ResNet-18."""
    four = 'auxiliary_head' in model  # the two-stage config: 4 outputs
    out: Dict[str, object] = {
        'model.backbone': dict(TINY_RESNET_V1C,
                               out_indices=(0, 1, 2, 3) if four else (0, 3)),
        'model.decode_head.in_channels': 64,
        'model.decode_head.channels': 16,
        'model.decode_head.c1_in_channels': 8,
        'model.decode_head.c1_channels': 8,
        'model.pretrained': None,
    }
    if four:
        out['model.auxiliary_head.in_channels'] = 32
        out['model.auxiliary_head.channels'] = 8
    return out
