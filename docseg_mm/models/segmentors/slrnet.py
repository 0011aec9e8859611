# Copyright (c) docseg_mm contributors. All rights reserved.
"""SLRNet: single-stage weakly / semi-supervised semantic segmentation."""
from typing import Dict, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmseg.models.segmentors import EncoderDecoder
from mmseg.structures import SegDataSample
from torch import Tensor

from docseg_mm.registry import MODELS
from ..losses.balanced_mask_ce import balanced_ce_targets, class_count_gate
from ..utils.pamr import pamr
from ..utils.wsss import (blank_background_cue, label_to_onehot, max_onehot,
                          pseudo_labels_absolute, pseudo_labels_relative)

MODES = ('wsss', 'semi', 'semi_unlabeled')


def _resize(x: Tensor, size: Sequence[int]) -> Tensor:
    return F.interpolate(x, size=tuple(size), mode='bilinear',
                         align_corners=True)


@MODELS.register_module()
class SLRNet(EncoderDecoder):
    """SLRNet (Pan et al., IJCV 2022) as an mmseg encoder-decoder.

    Training (``loss``) runs the backbone and :class:`SLRHead`'s decoder on
    two views, the input crop and a ``view_scale`` copy; CVLR factorises both
    views' tokens with one dictionary; both views get segmentation logits
    and masks, the classifier logits come from the masks. Losses (weights in
    ``loss_weights``):

    * ``loss_cls``: multilabel soft-margin (or weighted BCE, COCO) of both
      views' and ``aux_weight`` x the auxiliary head's classifier logits;
    * ``loss_reg``: ``mean |m1 - m2|`` over the foreground masks of the
      views (view 2 resized back), present classes only;
    * ``loss_code``: ``mean |maxonehot(Z1) - maxonehot(Z2)|`` of the codes;
    * ``loss_seg`` (once :attr:`seg_loss_enabled`, set by
      :class:`~docseg_mm.engine.hooks.SegLossWarmupHook`): class-balanced CE
      of both views and the auxiliary head against online pseudo labels,
      made from the mean of the two views' masks refined by PAMR on the image,
      restricted to the image labels and cut per class
      (``pseudo_label``).

    ``mode``: ``'wsss'`` (image labels only), ``'semi'`` (labelled samples,
    ``labeled=True`` in their meta, use the one-hot ground truth instead of
    pseudo labels and their seg loss replaces their classification loss) or
    ``'semi_unlabeled'`` (no image labels: the head predicts background too,
    no classification loss, background ``** 3`` before PAMR).

    Prediction runs one view (CVLR with its own dictionary); the data
    samples get ``seg_logits`` = the class *probabilities* (masks) and
    ``img_cls_logits``, and ``pred_sem_seg`` after the head's
    :meth:`~SLRHead.postprocess_masks` (class selection, ``bg_pow``, CRF,
    configured in ``test_cfg``). Use :class:`SLRNetTTAModel` for
    multi-scale + flip inference.

    Args:
        backbone (dict): Backbone returning ``(shallow, deep)`` features.
        decode_head (dict): :class:`SLRHead` config.
        mode (str): ``'wsss'``, ``'semi'`` or ``'semi_unlabeled'``.
            Defaults to ``'wsss'``.
        view_scale (float): Scale of the second view. Defaults to 0.5.
        loss_weights (dict): ``cls``, ``reg``, ``code``, ``seg``.
            Defaults to the WSSS config ``[1, 4, 4, 1]``.
        aux_weight (float): Weight of the auxiliary head's cls / seg
            losses. Defaults to 0.4.
        cls_loss (dict): ``dict(type='mlsm')`` or ``dict(type='bce',
            pos_weight=10., class_weights=[...])``. Defaults to mlsm.
        pseudo_label (dict): ``dict(type='relative', bg_factor=0.7,
            fg_factor=0.6, low=0.2)`` or ``dict(type='absolute', fg_thr=0.5,
            bg_thr=0.1)``. Defaults to the relative VOC cut-offs.
        pamr (dict): PAMR ``num_iter`` and ``dilations``.
            Defaults to 10 iterations, dilations (1, 2, 4, 8, 12, 24).
        pamr_bg_pow (float): Power of the background mask before PAMR.
            Defaults to 1 (3 for ``'semi_unlabeled'``).
        bg_cue (dict, optional): Background cue of document pages
            (:func:`blank_background_cue` arguments ``window``,
            ``max_range``): after PAMR, the pseudo-label masks of pixels
            in a blank neighbourhood of the input become background
            (background 1, foreground 0) before the cut-offs. Image labels
            say nothing about where the page is empty when nearly every
            page carries the same classes (Text on almost all), so without
            it background hardly enters the pseudo labels (the document
            demo's levers are measured in ``configs/slrnet/README.md``).
            Defaults to None (off, the original).
        pseudo_batch_gate (bool): Zero the seg loss of a pseudo-labelled
            image whose pseudo labels do not hold exactly its image labels
            plus background (the original's gate; pages with many tags
            rarely pass it, so the document configs switch it off).
            Defaults to True.
        seg_loss_enabled (bool): Start with the seg loss on.
            Defaults to False (the warm-up hook switches it on).
        faithful (bool): Reproduce the original's quirks: the relative
            pseudo-label cut-offs fixed at 0.7 / 0.6 / 0.2 whatever
            ``pseudo_label`` says, the batch gate on ground-truth samples too
            and a NaN labelled seg loss for batches without labelled samples.
            Defaults to False.
        **kwargs: :class:`EncoderDecoder` arguments.
    """

    def __init__(self,
                 backbone: dict,
                 decode_head: dict,
                 mode: str = 'wsss',
                 view_scale: float = 0.5,
                 loss_weights: Optional[dict] = None,
                 aux_weight: float = 0.4,
                 cls_loss: dict = dict(type='mlsm'),
                 pseudo_label: dict = dict(type='relative'),
                 pamr: dict = dict(),
                 pamr_bg_pow: Optional[float] = None,
                 bg_cue: Optional[dict] = None,
                 pseudo_batch_gate: bool = True,
                 seg_loss_enabled: bool = False,
                 faithful: bool = False,
                 **kwargs) -> None:
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        super().__init__(backbone=backbone, decode_head=decode_head, **kwargs)
        if self.decode_head.constant_bg == (mode == 'semi_unlabeled'):
            raise ValueError(f"mode {mode!r} needs decode_head.constant_bg="
                             f"{mode != 'semi_unlabeled'}")
        self.mode = mode
        self.view_scale = view_scale
        self.loss_weights = dict(cls=1., reg=4., code=4., seg=1.)
        self.loss_weights.update(loss_weights or {})
        self.aux_weight = aux_weight
        self.cls_loss_cfg = dict(cls_loss)
        if self.cls_loss_cfg.get('type', 'mlsm') not in ('mlsm', 'bce'):
            raise ValueError(f'unknown cls_loss {cls_loss}')
        weights = self.cls_loss_cfg.pop('class_weights', None)
        self.register_buffer(
            'cls_pos_weight',
            None if weights is None else torch.tensor(weights).float(),
            persistent=False)
        self.pseudo_label_cfg = dict(pseudo_label)
        self.pamr_cfg = dict(pamr)
        self.pamr_bg_pow = pamr_bg_pow if pamr_bg_pow is not None else (
            3. if mode == 'semi_unlabeled' else 1.)
        self.bg_cue = None if bg_cue is None else dict(bg_cue)
        self.pseudo_batch_gate = pseudo_batch_gate
        self.seg_loss_enabled = seg_loss_enabled
        self.faithful = faithful
        self.skip_postprocess = False

    # --------------------------------------------------------- training
    def _image_labels(self, data_samples: List[SegDataSample],
                      device: torch.device) -> Tensor:
        try:
            labels = [np.asarray(s.metainfo['img_labels'], np.float32)
                      for s in data_samples]
        except KeyError as e:
            raise KeyError(
                'SLRNet needs image labels: pack "img_labels" (page tags via '
                'DocSemSegDataset(tags_file=...) or ImageLabelsFromSegMap) '
                'with PackWSSSInputs') from e
        return torch.from_numpy(np.stack(labels)).to(device)

    def _cls_loss(self, logits: Tensor, labels: Tensor) -> Tensor:
        """Per-sample classification loss ``(B, )``."""
        if self.cls_loss_cfg.get('type', 'mlsm') == 'mlsm':
            return F.multilabel_soft_margin_loss(
                logits, labels, reduction='none')
        pos = self.cls_loss_cfg.get('pos_weight', 1.)
        pos_weight = (self.cls_pos_weight * pos if self.cls_pos_weight
                      is not None else torch.full_like(labels[0], pos))
        return F.binary_cross_entropy_with_logits(
            logits, labels, pos_weight=pos_weight,
            reduction='none').mean(-1)

    def _pseudo_labels(self, masks: Tensor, raw: Tensor,
                       labels: Optional[Tensor]) -> Tensor:
        """One-hot pseudo labels at the input size from the mean masks."""
        masks = masks.clone()
        masks[:, 0] = masks[:, 0].pow(self.pamr_bg_pow)
        refined = pamr(_resize(raw, masks.shape[2:]), masks,
                       **self.pamr_cfg)
        refined = _resize(refined, raw.shape[2:])
        if labels is not None:
            refined[:, 1:] *= labels[:, :, None, None]
        if self.bg_cue is not None:
            cue = blank_background_cue(raw, **self.bg_cue)
            refined[:, :1] = torch.maximum(refined[:, :1], cue)
            refined[:, 1:] *= 1 - cue
        cfg = dict(self.pseudo_label_cfg)
        kind = cfg.pop('type', 'relative')
        if kind == 'absolute':
            return pseudo_labels_absolute(refined, **cfg)
        if self.faithful and self.mode != 'semi_unlabeled':
            cfg = dict(bg_factor=0.7, fg_factor=0.6, low=0.2)
        return pseudo_labels_relative(refined, **cfg)

    def _raw_image(self, inputs: Tensor) -> Tensor:
        """The normalised inputs mapped back to ``[0, 1]``."""
        pre = self.data_preprocessor
        if getattr(pre, '_enable_normalize', False):
            return (inputs * pre.std + pre.mean) / 255.
        return inputs / 255.

    def loss(self, inputs: Tensor,
             data_samples: List[SegDataSample]) -> Dict[str, Tensor]:
        """Two-view training losses (see the class docstring)."""
        head = self.decode_head
        b, _, h, w = inputs.shape
        labels = None if self.mode == 'semi_unlabeled' else \
            self._image_labels(data_samples, inputs.device)
        view2 = _resize(inputs, (int(h * self.view_scale),
                                 int(w * self.view_scale)))
        x1, s1 = head.decode(self.extract_feat(inputs))
        x2, s2 = head.decode(self.extract_feat(view2))
        aux_logits, aux_masks = head.aux_forward(x1)
        (x1, x2), (z1, z2) = head.low_rank([x1, x2], aux_logits)
        l1, m1 = head.seg_forward(x1, s1)
        l2, m2 = head.seg_forward(x2, s2)
        cls2 = head.classify(l2, m2)  # view 2 at its own resolution
        size = l1.shape[2:]
        z2, l2, m2 = _resize(z2, size), _resize(l2, size), _resize(m2, size)

        w_ = self.loss_weights
        reg = (m1[:, 1:] - m2[:, 1:]).abs()
        if labels is not None:
            reg = reg * labels[:, :, None, None]
        code = (max_onehot(z1) - max_onehot(z2)).abs().mean()
        losses = dict(loss_reg=w_['reg'] * reg.mean(),
                      loss_code=w_['code'] * code)

        if self.mode != 'semi_unlabeled':
            cls = (self._cls_loss(head.classify(l1, m1), labels) +
                   self._cls_loss(cls2, labels) +
                   self.aux_weight * self._cls_loss(
                       head.classify(aux_logits, aux_masks), labels))
        else:
            cls = inputs.new_zeros(b)

        labeled = self._labeled_mask(data_samples, inputs.device)
        # the original makes pseudo labels at every step; they are only
        # needed once the seg loss is on (or for faithful NaN reproduction)
        need_pseudo = (self.seg_loss_enabled or self.faithful) and \
            not bool(labeled.all())
        if not (need_pseudo or labeled.any()):
            losses['loss_cls'] = w_['cls'] * cls.mean()
            return losses
        with torch.no_grad():
            if need_pseudo:
                target = self._pseudo_labels((m1 + m2) / 2,
                                             self._raw_image(inputs), labels)
            else:
                target = inputs.new_zeros((b, l1.shape[1], h, w))
            if labeled.any():
                gt = torch.stack([
                    s.gt_sem_seg.data[0]
                    for s, lab in zip(data_samples, labeled.tolist()) if lab
                ])
                target[labeled] = label_to_onehot(gt, l1.shape[1],
                                                  head.ignore_index)
        seg = self._seg_loss((l1, l2, aux_logits), (1., 1., self.aux_weight),
                             target, labels, labeled)
        if self.mode == 'wsss':
            losses['loss_cls'] = w_['cls'] * cls.mean()
            if self.seg_loss_enabled:
                losses['loss_seg'] = w_['seg'] * seg.mean()
            return losses
        cls = torch.where(labeled, seg, cls)
        losses['loss_cls'] = w_['cls'] * cls.mean()
        if labeled.any() or self.faithful:
            losses['loss_seg_labeled'] = w_['seg'] * seg[labeled].mean()
        if self.seg_loss_enabled:
            losses['loss_seg'] = w_['seg'] * seg.mean()
        return losses

    def _labeled_mask(self, data_samples: List[SegDataSample],
                      device: torch.device) -> Tensor:
        flags = [bool(s.metainfo.get('labeled', False)) and self.mode != 'wsss'
                 for s in data_samples]
        return torch.tensor(flags, dtype=torch.bool, device=device)

    def _seg_loss(self, logits: Sequence[Tensor], weights: Sequence[float],
                  target: Tensor, labels: Optional[Tensor],
                  labeled: Tensor) -> Tensor:
        """Per-sample weighted sum of the class-balanced CEs
        (:func:`~docseg_mm.models.losses.balanced_mask_ce`) of ``logits``
        (all of one size) against the one-hot ``target``.

        The label map and pixel weights are computed once and the logits
        resized and scored in one batch (the same numbers as one
        ``balanced_mask_ce`` per logits). The class-count gate applies to
        pseudo-labelled samples (``pseudo_batch_gate``) and, with
        ``faithful``, to ground-truth samples too; never in
        ``'semi_unlabeled'`` mode."""
        n, b = len(logits), target.shape[0]
        index, pixel_w = balanced_ce_targets(target)
        up = _resize(torch.cat(list(logits)), target.shape[2:])
        ce = F.cross_entropy(up, index.repeat(n, 1, 1), ignore_index=255,
                             reduction='none')
        per = (pixel_w.repeat(n, 1) * ce.flatten(1)).mean(-1).view(n, b)
        plain = sum(w * per[i] for i, w in enumerate(weights))
        if self.mode == 'semi_unlabeled':
            return plain
        gated = labeled.clone() if self.faithful else \
            torch.zeros_like(labeled)
        if self.pseudo_batch_gate:
            gated |= ~labeled
        if not gated.any():
            return plain
        gate = class_count_gate(target, labels).to(plain.dtype)
        return torch.where(gated, plain * gate, plain)

    # -------------------------------------------------------- inference
    def predict(self,
                inputs: Tensor,
                data_samples: Optional[List[SegDataSample]] = None
                ) -> List[SegDataSample]:
        """Single-view prediction (see the class docstring)."""
        if data_samples is not None:
            metas = [s.metainfo for s in data_samples]
        else:
            metas = [dict(ori_shape=inputs.shape[2:],
                          img_shape=inputs.shape[2:],
                          pad_shape=inputs.shape[2:],
                          padding_size=[0, 0, 0, 0])] * inputs.shape[0]
        masks, cls = self.decode_head.predict(
            self.extract_feat(inputs), metas, self.test_cfg)
        data_samples = self.postprocess_result(masks, data_samples)
        for sample, logits in zip(data_samples, cls):
            sample.set_field(logits, 'img_cls_logits')
            if not self.skip_postprocess:
                self.finalize_prediction(sample)
        return data_samples

    def finalize_prediction(self, sample: SegDataSample) -> SegDataSample:
        """Set ``pred_sem_seg`` from ``seg_logits`` (masks) and
        ``img_cls_logits`` with the head's post-processing."""
        from mmengine.structures import PixelData
        cfg = self.test_cfg or {}
        masks = sample.seg_logits.data
        labels = sample.metainfo.get('img_labels')
        if labels is not None:
            labels = torch.as_tensor(np.asarray(labels, np.float32),
                                     device=masks.device)
        image = None
        if cfg.get('crf'):
            image = self._crf_image(sample, masks.shape[1:])
        pred = self.decode_head.postprocess_masks(
            masks, sample.get('img_cls_logits'), cfg, labels, image)
        sample.set_data(dict(pred_sem_seg=PixelData(data=pred[None])))
        return sample

    @staticmethod
    def _crf_image(sample: SegDataSample,
                   size: Tuple[int, int]) -> np.ndarray:
        # an in-memory page (the inferencer's PDF pages and arrays have no
        # image file) wins over the file
        img = sample.metainfo.get('crf_image')
        path = sample.metainfo.get('img_path')
        if img is None and path:
            img = mmcv.imread(path, channel_order='rgb')
        if img is None:
            raise FileNotFoundError(f'CRF: cannot read the image {path}')
        if img.shape[:2] != tuple(size):
            img = mmcv.imresize(img, (size[1], size[0]))
        return img
