# Copyright (c) docseg_mm contributors. All rights reserved.
"""SLRNet's decoder and heads: ASPP + skip decoder, CVLR, segmentation head
with global cue injection and stochastic gate, auxiliary head."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import Tensor

from docseg_mm.registry import MODELS
from ..layers.cvlr import CrossViewLowRank, init_dictionary
from ..layers.global_cue_injection import GlobalCueInjection, StochasticGate
from ..layers.trimmed_aspp import TrimmedASPPModule
from ..utils.dense_crf import dense_crf
from ..utils.wsss import mask_classifier_logits, select_classes


def _resize(x: Tensor, size: Sequence[int]) -> Tensor:
    return F.interpolate(x, size=tuple(size), mode='bilinear',
                         align_corners=True)


@MODELS.register_module()
class SLRHead(BaseDecodeHead):
    """Decoder and heads of SLRNet (and 1-stage-wseg).

    * decoder: ASPP (dilations ``(1, 12, 24, 36)`` + image pooling, 1x1 fuse,
      dropout 0.5) on the deep feature, upsampled to the shallow (stride 4)
      feature and fused with its 48-channel projection (3x3 conv): ``x``;
    * CVLR (:class:`CrossViewLowRank`) on the tokens of one or more views,
      its dictionary initialised (without gradient) from the auxiliary head's
      soft masks of the first view;
    * segmentation head: :class:`GlobalCueInjection` of ``x`` into the
      shallow feature, :class:`StochasticGate` between the two, two 3x3 convs
      (dropout 0.5, 0.1) and ``conv_seg``; with ``constant_bg`` the head
      predicts the ``num_classes - 1`` foreground logits and the background
      logit is the constant 1;
    * auxiliary head on ``x`` (3x3 conv, dropout 0.5, 1x1), background logit
      ``1 - max_c fg``;
    * the mask-derived classifier (:func:`mask_classifier_logits`) and the
      test-time post-processing (:meth:`postprocess_masks`: class selection,
      ``bg_pow``, optional dense CRF).

    Inputs are ``(shallow, deep)`` features (``in_index``, with
    ``input_transform='multiple_select'``).

    Args:
        in_channels (Sequence[int]): Shallow and deep channels
            (WideResNet-38: ``(256, 4096)``).
        channels (int): Decoder channels. Defaults to 256.
        num_classes (int): Classes including background. Defaults to 21.
        skip_channels (int): Channels of the shallow projection.
            Defaults to 48.
        dilations (Sequence[int]): ASPP dilations.
            Defaults to (1, 12, 24, 36).
        aspp_dropout (float): Dropout after the ASPP fuse. Defaults to 0.5.
        freeze_aspp_bn_stats (bool): Keep the ASPP BN layers in eval mode
            (statistics frozen, affine trained), as the original.
            Defaults to True.
        seg_dropouts (Sequence[float]): Dropouts after the two 3x3 convs of
            the segmentation head. Defaults to (0.5, 0.1).
        aux_dropout (float): Dropout of the auxiliary head. Defaults to 0.5.
        gate_alpha (float): Stochastic gate rate. Defaults to 0.3.
        constant_bg (bool): Constant background logit (WSSS, semi with
            image labels); False predicts all ``num_classes`` channels
            (semi without image labels). Defaults to True.
        cvlr (dict): :class:`CrossViewLowRank` arguments
            (``num_iters``, ``temperature``). Defaults to ``dict()``.
        focal_p (float): Classifier focal penalty exponent. Defaults to 3.
        focal_c (float): Classifier focal penalty offset. Defaults to 0.01.
        norm_cfg (dict): Norm config. Defaults to
            ``dict(type='BN', momentum=0.05)`` (the original's).
        align_corners (bool): Defaults to True (the original's resizes).
        **kwargs: Other :class:`BaseDecodeHead` arguments.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (256, 4096),
                 channels: int = 256,
                 num_classes: int = 21,
                 skip_channels: int = 48,
                 dilations: Sequence[int] = (1, 12, 24, 36),
                 aspp_dropout: float = 0.5,
                 freeze_aspp_bn_stats: bool = True,
                 seg_dropouts: Sequence[float] = (0.5, 0.1),
                 aux_dropout: float = 0.5,
                 gate_alpha: float = 0.3,
                 constant_bg: bool = True,
                 cvlr: dict = dict(),
                 focal_p: float = 3.,
                 focal_c: float = 0.01,
                 norm_cfg: dict = dict(type='BN', momentum=0.05),
                 align_corners: bool = True,
                 in_index: Sequence[int] = (0, 1),
                 **kwargs) -> None:
        kwargs.setdefault('init_cfg', None)
        # unused (SLRNet computes its own losses) but built by the base class
        kwargs.setdefault('loss_decode', dict(type='mmseg.CrossEntropyLoss'))
        super().__init__(
            in_channels=list(in_channels),
            channels=channels,
            num_classes=num_classes,
            dropout_ratio=0.,
            norm_cfg=norm_cfg,
            align_corners=align_corners,
            in_index=list(in_index),
            input_transform='multiple_select',
            **kwargs)
        shallow_ch, deep_ch = self.in_channels
        self.constant_bg = constant_bg
        self.focal_p, self.focal_c = focal_p, focal_c
        self.freeze_aspp_bn_stats = freeze_aspp_bn_stats
        num_out = num_classes - 1 if constant_bg else num_classes
        conv = dict(conv_cfg=self.conv_cfg, norm_cfg=norm_cfg,
                    act_cfg=self.act_cfg)
        # decoder (``aspp``, ``fc8_skip``, ``fc8_x`` in the original)
        self.image_pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), ConvModule(deep_ch, channels, 1, **conv))
        self.aspp_modules = TrimmedASPPModule(dilations, deep_ch, channels,
                                              **conv)
        self.bottleneck = ConvModule(
            (len(dilations) + 1) * channels, channels, 1, **conv)
        self.aspp_dropout = nn.Dropout(aspp_dropout)
        self.skip_proj = ConvModule(shallow_ch, skip_channels, 1, **conv)
        self.fuse = ConvModule(
            channels + skip_channels, channels, 3, padding=1, **conv)
        # CVLR
        self.cvlr = CrossViewLowRank(channels, **cvlr)
        # segmentation head (``shallow_mask``, ``sg``, ``last_conv``)
        self.gci = GlobalCueInjection(shallow_ch, channels, channels,
                                      norm_cfg)
        self.gate = StochasticGate(gate_alpha)
        self.seg_convs = nn.Sequential(
            ConvModule(channels, channels, 3, padding=1, **conv),
            nn.Dropout(seg_dropouts[0]),
            ConvModule(channels, channels, 3, padding=1, **conv),
            nn.Dropout(seg_dropouts[1]))
        self.conv_seg = nn.Conv2d(channels, num_out, 1)
        # auxiliary head
        self.aux_convs = nn.Sequential(
            ConvModule(channels, channels, 3, padding=1, **conv),
            nn.Dropout(aux_dropout))
        self.aux_seg = nn.Conv2d(channels, num_out, 1)

    def init_weights(self) -> None:
        """The original's init: He-normal (fan-in) convs, BN to (1, 0)."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.modules.batchnorm._BatchNorm) and m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        self._is_init = True

    def train(self, mode: bool = True) -> 'SLRHead':
        super().train(mode)
        if mode and self.freeze_aspp_bn_stats:
            for part in (self.image_pool, self.aspp_modules, self.bottleneck):
                for m in part.modules():
                    if isinstance(m, nn.modules.batchnorm._BatchNorm):
                        m.eval()
        return self

    # ----------------------------------------------------------- pieces
    def decode(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        """ASPP + skip decoder: returns ``x`` (stride 4) and the shallow
        feature."""
        shallow, deep = self._transform_inputs(inputs)
        pooled = _resize(self.image_pool(deep), deep.shape[2:])
        y = torch.cat(self.aspp_modules(deep) + [pooled], dim=1)
        y = self.aspp_dropout(self.bottleneck(y))
        skip = self.skip_proj(shallow)
        x = self.fuse(torch.cat([_resize(y, skip.shape[2:]), skip], dim=1))
        return x, shallow

    def _with_bg(self, fg: Tensor, bg: Optional[Tensor]) -> Tensor:
        return fg if bg is None else torch.cat([bg, fg], dim=1)

    def aux_forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Auxiliary logits (background ``1 - max fg``) and masks."""
        fg = self.aux_seg(self.aux_convs(x))
        bg = 1 - fg.max(1, keepdim=True)[0] if self.constant_bg else None
        logits = self._with_bg(fg, bg)
        return logits, logits.softmax(1)

    def seg_forward(self, x: Tensor, shallow: Tensor) -> Tuple[Tensor, Tensor]:
        """Segmentation logits (constant background 1) and masks."""
        x = self.gate(x, self.gci(shallow, x))
        fg = self.conv_seg(self.seg_convs(x))
        bg = torch.ones_like(fg[:, :1]) if self.constant_bg else None
        logits = self._with_bg(fg, bg)
        return logits, logits.softmax(1)

    def classify(self, logits: Tensor, masks: Tensor) -> Tensor:
        """Image-level logits of the foreground classes."""
        return mask_classifier_logits(logits, masks, self.focal_p,
                                      self.focal_c)

    def low_rank(self,
                 views: Sequence[Tensor],
                 aux_logits: Tensor,
                 num_iters: Optional[int] = None
                 ) -> Tuple[List[Tensor], List[Tensor]]:
        """CVLR over the concatenated tokens of ``views``.

        The dictionary is initialised from the first view and the detached
        ``aux_logits`` (no gradient). Returns the reconstructed feature maps
        and the codes ``(B, K, h, w)`` of every view.
        """
        with torch.no_grad():
            dict0 = init_dictionary(views[0], aux_logits.detach())
        tokens = torch.cat([v.flatten(2) for v in views], -1).transpose(1, 2)
        out, codes, _ = self.cvlr(tokens, dict0, num_iters)
        sizes = [v.shape[2] * v.shape[3] for v in views]
        feats = [
            o.transpose(1, 2).reshape(v.shape)
            for o, v in zip(out.split(sizes, 1), views)
        ]
        codes = [
            c.reshape(c.shape[0], c.shape[1], *v.shape[2:])
            for c, v in zip(codes.split(sizes, -1), views)
        ]
        return feats, codes

    # ------------------------------------------------------- single view
    def forward_single(self,
                       inputs: Sequence[Tensor],
                       num_iters: Optional[int] = None
                       ) -> Tuple[Tensor, Tensor, Tensor]:
        """One view: logits, masks (stride 4) and image-level logits."""
        x, shallow = self.decode(inputs)
        aux_logits, _ = self.aux_forward(x)
        (x, ), _ = self.low_rank([x], aux_logits, num_iters)
        logits, masks = self.seg_forward(x, shallow)
        return logits, masks, self.classify(logits, masks)

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Segmentation logits of one view (background first)."""
        return self.forward_single(inputs)[0]

    def predict(self, inputs: Sequence[Tensor], batch_img_metas: List[dict],
                test_cfg: dict) -> Tuple[Tensor, Tensor]:
        """Masks (class probabilities) at the input size and image-level
        logits; CVLR runs ``test_cfg.cvlr_iters`` iterations."""
        iters = (test_cfg or {}).get('cvlr_iters')
        _, masks, cls = self.forward_single(inputs, iters)
        return self.predict_by_feat(masks, batch_img_metas), cls

    # --------------------------------------------------- post-processing
    def postprocess_masks(self,
                          masks: Tensor,
                          cls_logits: Optional[Tensor],
                          test_cfg: dict,
                          img_labels: Optional[Tensor] = None,
                          image: Optional[np.ndarray] = None) -> Tensor:
        """Class selection, background power and optional CRF of one image.

        Args:
            masks (Tensor): ``(C, H, W)`` class probabilities (background
                first).
            cls_logits (Tensor, optional): ``(C - 1, )`` image-level logits.
            test_cfg (dict): ``class_select`` (``'predicted'``: keep classes
                with ``sigmoid > fp_cut`` among the ``topk`` best; ``'gt'``:
                the image labels; ``'none'``), ``fp_cut``, ``topk``,
                ``bg_pow`` and ``crf`` (None or :func:`dense_crf` kwargs).
            img_labels (Tensor, optional): ``(C - 1, )`` labels for
                ``class_select='gt'``.
            image (np.ndarray, optional): ``(H, W, 3)`` ``uint8`` image for
                the CRF.

        Returns:
            Tensor: ``(H, W)`` predicted labels.
        """
        mode = test_cfg.get('class_select', 'predicted')
        scores = masks.clone()
        if mode == 'gt':
            if img_labels is None:
                raise ValueError("class_select='gt' needs img_labels in the "
                                 'data samples')
            keep = img_labels.to(scores)
        elif mode == 'predicted' and cls_logits is not None:
            keep = select_classes(cls_logits, test_cfg.get('fp_cut', 0.3),
                                  test_cfg.get('topk', 6))
        elif mode in ('none', 'predicted'):
            keep = None
        else:
            raise ValueError(f'unknown class_select {mode!r}')
        if keep is not None:
            scores[1:] *= keep.view(-1, 1, 1)
        scores[0] = scores[0].pow(test_cfg.get('bg_pow', 1))
        crf = test_cfg.get('crf')
        if crf:
            if image is None:
                raise ValueError('the CRF needs the image')
            q = dense_crf(image, scores.detach().float().cpu().numpy(), **crf)
            return torch.from_numpy(q).to(masks.device).argmax(0)
        return scores.argmax(0)
