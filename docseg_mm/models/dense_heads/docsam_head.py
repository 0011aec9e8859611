# Copyright (c) docseg_mm contributors. All rights reserved.
"""DocSAM's query-decomposition head: class-name + instance queries."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from docseg_mm.registry import MODELS, TASK_UTILS
from ..layers.hybrid_query_decoder import HybridQueryDecoder
from ..utils.docsam_postprocess import (postprocess_instances,
                                        postprocess_semantic,
                                        rescale_predictions)
from ..utils.point_sample_grid import jittered_grid_points, sample_points

#: Post-processing settings of :meth:`DocSAMHead.predict_by_feat` (the
#: original's thresholds).
DEFAULT_TEST_CFG = dict(
    score_thr=0.01, mask_thr=0.5, nms_iou=0.25, max_per_img=None)


@MODELS.register_module()
class DocSAMHead(BaseModule):
    """Hybrid-query head of DocSAM (semantic + instance queries).

    Semantic queries are the sentence embeddings of the current image's
    class names (the background name last) projected to ``embed_dims``;
    instance queries are learned embeddings with learned proposal boxes.
    The :class:`HybridQueryDecoder` refines both and predicts, at each of
    its ``num_stages + 1`` outputs, semantic masks (one per class name),
    instance masks, boxes and instance class logits over the class names.
    No layer depends on the number of classes, so the same weights serve any
    list of class names. :meth:`predict_by_feat` turns the last output into
    scored instances and binary semantic masks.

    Args:
        text_encoder (dict | nn.Module): Class-name encoder returning
            ``(B, K, text_dims)`` embeddings and a padding mask (see
            ``ClassNameEncoder``).
        decoder (dict | nn.Module): Decoder config (type defaults to
            :class:`HybridQueryDecoder`, ``embed_dims`` to the head's) or
            module. Defaults to ``dict()``.
        embed_dims (int): Query channels. Defaults to 256.
        text_dims (int): Sentence embedding size. Defaults to 384.
        num_queries (int): Instance queries. Defaults to 900.
        loss_cls (dict): Per-image class loss over the image's classes.
        loss_bbox (dict): Box regression loss on boxes / ``box_loss_scale``.
        loss_iou (dict): Box IoU loss.
        loss_dice (dict): Instance mask dice loss on sampled points.
        loss_focal (dict): Instance mask focal loss on sampled points.
        loss_sem_dice (dict): Semantic mask dice loss.
        loss_sem_focal (dict): Semantic mask focal loss.
        box_loss_scale (float): Divisor of pixel boxes in ``loss_bbox``.
            Defaults to 100.
        train_cfg (dict, optional): ``assigner`` (all costs),
            ``stage0_assigner`` (without the mask cost, used where there are
            no instance masks) and ``jitter_points`` (bool). Defaults to None.
        test_cfg (dict, optional): Post-processing: ``score_thr``,
            ``mask_thr``, ``nms_iou``, ``max_per_img`` (see
            :func:`~docseg_mm.models.utils.postprocess_instances`); other
            keys are ignored. Defaults to None (:data:`DEFAULT_TEST_CFG`).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(
        self,
        text_encoder: Union[ConfigType, nn.Module],
        decoder: Union[ConfigType, nn.Module] = dict(),
        embed_dims: int = 256,
        text_dims: int = 384,
        num_queries: int = 900,
        loss_cls: dict = dict(
            type='BackgroundWeightedCrossEntropyLoss',
            background_weight=0.1,
            loss_weight=1.0),
        loss_bbox: dict = dict(
            type='mmdet.SmoothL1Loss', beta=1.0, loss_weight=1.0),
        loss_iou: dict = dict(
            type='mmdet.DIoULoss', eps=1e-7, loss_weight=1.0),
        loss_dice: dict = dict(
            type='mmdet.DiceLoss',
            use_sigmoid=True,
            activate=True,
            naive_dice=True,
            eps=1.0,
            loss_weight=5.0),
        loss_focal: dict = dict(
            type='mmdet.FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=50.0),
        loss_sem_dice: Optional[dict] = None,
        loss_sem_focal: Optional[dict] = None,
        box_loss_scale: float = 100.,
        train_cfg: OptConfigType = None,
        test_cfg: OptConfigType = None,
            init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.num_queries = num_queries
        if not isinstance(text_encoder, nn.Module):
            text_encoder = MODELS.build(text_encoder)
        self.text_encoder = text_encoder
        self.semantic_query_projection = nn.Linear(text_dims, embed_dims)
        self.proposal_bboxes = nn.Embedding(num_queries, 4)
        self.instance_queries = nn.Embedding(num_queries, embed_dims)
        self.instance_posembs = nn.Embedding(num_queries, embed_dims)
        if isinstance(decoder, dict):
            decoder = dict(decoder)
            decoder.setdefault('type', HybridQueryDecoder)
            decoder.setdefault('embed_dims', embed_dims)
            decoder = MODELS.build(decoder)
        self.decoder = decoder
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_iou = MODELS.build(loss_iou)
        self.loss_dice = MODELS.build(loss_dice)
        self.loss_focal = MODELS.build(loss_focal)
        self.loss_sem_dice = MODELS.build(loss_sem_dice or loss_dice)
        self.loss_sem_focal = MODELS.build(loss_sem_focal or loss_focal)
        self.box_loss_scale = box_loss_scale
        self.train_cfg = train_cfg or {}
        self.test_cfg = dict(DEFAULT_TEST_CFG, **(test_cfg or {}))
        if self.train_cfg:
            self.assigner = TASK_UTILS.build(self.train_cfg['assigner'])
            self.stage0_assigner = TASK_UTILS.build(
                self.train_cfg.get('stage0_assigner',
                                   self.train_cfg['assigner']))

    def init_weights(self) -> None:
        """Uniform [0, 1) proposals (normalised cx, cy, w, h); normal
        queries; the decoder's own initialisation."""
        super().init_weights()
        if self.init_cfg is not None and self.init_cfg.get(
                'type') == 'Pretrained':
            return
        nn.init.uniform_(self.proposal_bboxes.weight, 0.0, 1.0)
        nn.init.normal_(self.instance_queries.weight, std=0.02)
        nn.init.normal_(self.instance_posembs.weight, std=0.02)
        nn.init.trunc_normal_(self.semantic_query_projection.weight, std=0.02)
        nn.init.zeros_(self.semantic_query_projection.bias)
        if hasattr(self.decoder, 'init_weights'):
            self.decoder.init_weights()

    # ------------------------------------------------------------------
    def initial_boxes(self, image_bboxes: Tensor) -> Tensor:
        """Proposal boxes (normalised cx, cy, w, h with w, h / 4) placed in
        each image's valid region; ``(B, Q, 4)`` xyxy pixels."""
        p = self.proposal_bboxes.weight
        cx, cy, w, h = p.unbind(-1)
        w, h = w / 4, h / 4
        unit = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2],
                           -1)
        x0, y0, x1, y1 = image_bboxes[:, None].unbind(-1)
        scale = torch.stack([x1 - x0, y1 - y0, x1 - x0, y1 - y0], -1)
        offset = torch.stack([x0, y0, x0, y0], -1)
        return unit[None] * scale + offset

    def semantic_queries(
            self, class_names: Sequence[Sequence[str]],
            device: torch.device) -> Tuple[Tensor, Tensor, List[int]]:
        """Embed and project the class names of every image."""
        emb, pad = self.text_encoder(class_names)
        emb = emb.to(device, self.semantic_query_projection.weight.dtype)
        states = self.semantic_query_projection(emb)
        return states, pad.to(device), [len(c) for c in class_names]

    def forward(self, feats: Sequence[Tensor], mask_features: Tensor,
                image_bboxes: Tensor, pixel_mask: Tensor,
                class_names: Sequence[Sequence[str]]) -> List[Dict]:
        """Run the decoder; see :meth:`HybridQueryDecoder.forward`.

        Args:
            feats (Sequence[Tensor]): Level features, coarse to fine.
            mask_features (Tensor): ``(B, C, H/4, W/4)``.
            image_bboxes (Tensor): ``(B, 4)`` valid regions, input pixels.
            pixel_mask (Tensor): ``(B, H, W)`` 1 = valid pixel.
            class_names (Sequence[Sequence[str]]): Class names of each image,
                background last.

        Returns:
            list[dict]: Predictions of every stage.
        """
        bsz = mask_features.shape[0]
        device = mask_features.device
        sem_states, sem_pad, num_labels = self.semantic_queries(
            class_names, device)
        # the learned positions only enter the initial states: every stage
        # replaces them with positions RoI-pooled at the current boxes
        inst_states = (self.instance_queries.weight +
                       self.instance_posembs.weight)[None].expand(
                           bsz, -1, -1)
        boxes = self.initial_boxes(image_bboxes)
        return self.decoder(feats, mask_features, image_bboxes, pixel_mask,
                            inst_states, boxes, sem_states, sem_pad,
                            num_labels)

    # ------------------------------------------------------------------
    def predict(self,
                feats: Sequence[Tensor],
                mask_features: Tensor,
                image_bboxes: Tensor,
                pixel_mask: Tensor,
                batch_img_metas: Sequence[dict],
                rescale: bool = False,
                cfg: Optional[dict] = None
                ) -> List[Tuple[InstanceData, Tensor]]:
        """Run the decoder and post-process its last output.

        Args:
            feats (Sequence[Tensor]): Level features, coarse to fine.
            mask_features (Tensor): ``(B, C, H/4, W/4)``.
            image_bboxes (Tensor): ``(B, 4)`` valid regions, input pixels.
            pixel_mask (Tensor): ``(B, H, W)`` 1 = valid pixel.
            batch_img_metas (Sequence[dict]): Per image ``class_names``
                (background last) and the keys of :meth:`predict_by_feat`.
            rescale (bool): Bring results to ``ori_shape``. Defaults to
                False.
            cfg (dict, optional): Post-processing settings overriding
                :attr:`test_cfg`. Defaults to None.

        Returns:
            list[tuple[InstanceData, Tensor]]: See :meth:`predict_by_feat`.
        """
        class_names = [meta['class_names'] for meta in batch_img_metas]
        outputs = self(feats, mask_features, image_bboxes, pixel_mask,
                       class_names)
        return self.predict_by_feat(
            outputs[-1], batch_img_metas, rescale=rescale, cfg=cfg)

    def predict_by_feat(self,
                        outputs: Dict,
                        batch_img_metas: Sequence[dict],
                        rescale: bool = False,
                        cfg: Optional[dict] = None
                        ) -> List[Tuple[InstanceData, Tensor]]:
        """Scored instances and semantic masks from one decoder output.

        The stride-4 maps cover the padded batch (``batch_input_shape``);
        they are cropped to the cells that cover ``img_shape`` and resized
        to a slightly larger size than ``out_shape`` so that the crop back
        to ``out_shape`` is exact.

        Args:
            outputs (dict): One output of :meth:`forward` (``cls_logits``,
                ``mask_logits``, ``boxes``, ``sem_logits``,
                ``padding_mask``).
            batch_img_metas (Sequence[dict]): Per image: ``class_names``,
                ``img_shape`` (its valid (h, w) in the batch),
                ``batch_input_shape`` (padded (H, W) of the batch),
                optionally ``out_shape`` (the (h, w) results are made at,
                default ``img_shape``; the sliding-window thumbnail asks for
                the full image) and, with ``rescale``, ``ori_shape`` and
                ``scale_factor``.
            rescale (bool): Bring results to ``ori_shape``. Defaults to
                False.
            cfg (dict, optional): Post-processing settings overriding
                :attr:`test_cfg`. Defaults to None.

        Returns:
            list[tuple[InstanceData, Tensor]]: Per image ``pred_instances``
            (``masks`` bool, ``scores``, ``labels`` over the non-background
            classes, ``bboxes`` xyxy) and ``(C - 1, h, w)`` bool semantic
            masks.
        """
        cfg = dict(self.test_cfg, **(cfg or {}))
        results = []
        for i, meta in enumerate(batch_img_metas):
            num = len(meta['class_names'])
            valid = ~outputs['padding_mask'][i]
            inst, sem = self._predict_one(
                outputs['cls_logits'][i, valid, :num],
                outputs['mask_logits'][i, valid], outputs['boxes'][i, valid],
                outputs['sem_logits'][i, :num], meta, cfg)
            if rescale:
                inst, sem = rescale_predictions(inst, sem, meta)
            results.append((inst, sem))
        return results

    @staticmethod
    def _predict_one(cls_logits: Tensor, mask_logits: Tensor, boxes: Tensor,
                     sem_logits: Tensor, meta: dict,
                     cfg: dict) -> Tuple[InstanceData, Tensor]:
        """Post-process one image (see :meth:`predict_by_feat`)."""
        in_size = tuple(meta['img_shape'][:2])
        out_size = tuple(meta.get('out_shape', in_size)[:2])
        pad_size = tuple(meta['batch_input_shape'][:2])
        h4 = -(-in_size[0] * mask_logits.shape[-2] // pad_size[0])
        w4 = -(-in_size[1] * mask_logits.shape[-1] // pad_size[1])
        cover = (h4 * pad_size[0] / mask_logits.shape[-2],
                 w4 * pad_size[1] / mask_logits.shape[-1])
        sy, sx = out_size[0] / in_size[0], out_size[1] / in_size[1]
        big = (int(round(cover[0] * sy)), int(round(cover[1] * sx)))
        big = (max(big[0], out_size[0]), max(big[1], out_size[1]))
        inst = postprocess_instances(
            cls_logits,
            mask_logits[:, :h4, :w4],
            boxes,
            in_size=(int(round(cover[0])), int(round(cover[1]))),
            out_size=big,
            score_thr=cfg['score_thr'],
            mask_thr=cfg['mask_thr'],
            nms_iou=cfg['nms_iou'],
            max_per_img=cfg['max_per_img'])
        inst.masks = inst.masks[:, :out_size[0], :out_size[1]]
        if len(inst):
            inst.bboxes[:, 0::2] = inst.bboxes[:, 0::2].clamp(0, out_size[1])
            inst.bboxes[:, 1::2] = inst.bboxes[:, 1::2].clamp(0, out_size[0])
        sem = postprocess_semantic(sem_logits[:, :h4, :w4], big)
        return inst, sem[:, :out_size[0], :out_size[1]]

    # ------------------------------------------------------------------
    @staticmethod
    def _gt_tensors(data_sample, pad_shape: Tuple[int, int],
                    device: torch.device) -> InstanceData:
        """GT boxes, labels and padded float masks of one image."""
        gt = data_sample.gt_instances
        labels = gt.labels.to(device).long()
        bboxes = gt.bboxes
        bboxes = getattr(bboxes, 'tensor', bboxes).to(device).float()
        h, w = pad_shape
        if len(labels) and 'masks' in gt:
            masks = gt.masks
            if hasattr(masks, 'to_ndarray'):
                masks = torch.from_numpy(masks.to_ndarray())
            masks = masks.to(device).float()
            masks = F.pad(masks,
                          (0, w - masks.shape[-1], 0, h - masks.shape[-2]))
        else:
            masks = torch.zeros((len(labels), h, w), device=device)
        return InstanceData(labels=labels, bboxes=bboxes, masks=masks)

    @staticmethod
    def semantic_targets(gt: InstanceData, num_labels: int) -> Tensor:
        """Per-class union of the instance masks; background = the rest.

        Args:
            gt (InstanceData): ``labels`` and float ``masks`` (G, H, W).
            num_labels (int): Class count incl. the background (last).

        Returns:
            Tensor: ``(num_labels, H, W)`` binary float maps.
        """
        h, w = gt.masks.shape[-2:]
        sem = gt.masks.new_zeros((num_labels, h, w))
        for label in gt.labels.unique().tolist():
            sem[label] = (gt.masks[gt.labels == label] > 0.5).any(0).float()
        sem[num_labels - 1] = 1.0 - sem[:num_labels - 1].amax(0).clamp(max=1)
        return sem

    def loss(self, feats: Sequence[Tensor], mask_features: Tensor,
             image_bboxes: Tensor, pixel_mask: Tensor,
             batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Hungarian-matched losses summed over all prediction sets."""
        class_names = [s.metainfo['class_names'] for s in batch_data_samples]
        outputs = self(feats, mask_features, image_bboxes, pixel_mask,
                       class_names)
        device = mask_features.device
        pad_shape = tuple(pixel_mask.shape[-2:])
        gts = [
            self._gt_tensors(s, pad_shape, device) for s in batch_data_samples
        ]
        h4, w4 = mask_features.shape[-2:]
        points = jittered_grid_points(
            h4, w4, device, jitter=self.train_cfg.get('jitter_points', True))
        sem_points = []
        for gt, names in zip(gts, class_names):
            gt.point_masks = sample_points(gt.masks, points)
            sem_points.append(
                sample_points(self.semantic_targets(gt, len(names)), points))
        losses = {}
        last = len(outputs) - 1
        for idx, out in enumerate(outputs):
            stage = self._stage_loss(out, gts, sem_points, points)
            prefix = '' if idx == last else f'd{idx}.'
            losses.update({prefix + k: v for k, v in stage.items()})
        return losses

    def _stage_loss(self, out: Dict, gts: Sequence[InstanceData],
                    sem_points: Sequence[Tensor],
                    points: Tensor) -> Dict[str, Tensor]:
        """Losses of one prediction set (see :meth:`loss`)."""
        cls_pairs, pred_boxes, gt_boxes, pred_pts, gt_pts = [], [], [], [], []
        sem_pred, sem_gt = [], []
        with_masks = out['mask_logits'] is not None
        assigner = self.assigner if with_masks else self.stage0_assigner
        for b, (gt, sem_target) in enumerate(zip(gts, sem_points)):
            num = sem_target.shape[0]
            valid = ~out['padding_mask'][b]
            logits = out['cls_logits'][b, valid, :num]
            boxes = out['boxes'][b, valid]
            pred = InstanceData(scores=logits, bboxes=boxes)
            if with_masks:
                pred.masks = sample_points(out['mask_logits'][b, valid],
                                           points)
            gt_match = InstanceData(
                labels=gt.labels, bboxes=gt.bboxes, masks=gt.point_masks)
            labels = logits.new_full((logits.shape[0], ), num - 1,
                                     dtype=torch.long)
            if len(gt.labels):
                assigned = assigner.assign(pred, gt_match)
                pos = (assigned.gt_inds > 0).nonzero().squeeze(1)
                gt_idx = assigned.gt_inds[pos] - 1
                labels[pos] = gt.labels[gt_idx]
                pred_boxes.append(boxes[pos])
                gt_boxes.append(gt.bboxes[gt_idx])
                if with_masks:
                    pred_pts.append(pred.masks[pos])
                    gt_pts.append(gt.point_masks[gt_idx])
            cls_pairs.append((logits, labels))
            sem_pred.append(
                sample_points(out['sem_logits'][b, :num], points))
            sem_gt.append(sem_target)

        losses = dict(loss_cls=self.loss_cls(cls_pairs))
        zero = out['boxes'].sum() * 0.0
        if pred_boxes and sum(len(p) for p in pred_boxes):
            pb, gb = torch.cat(pred_boxes), torch.cat(gt_boxes)
            losses['loss_bbox'] = self.loss_bbox(pb / self.box_loss_scale,
                                                 gb / self.box_loss_scale)
            losses['loss_iou'] = self.loss_iou(pb, gb)
        else:
            losses['loss_bbox'] = losses['loss_iou'] = zero
        if with_masks:
            if pred_pts and sum(len(p) for p in pred_pts):
                pp, gp = torch.cat(pred_pts), torch.cat(gt_pts)
                losses['loss_dice'] = self.loss_dice(pp, gp)
                losses['loss_focal'] = self.loss_focal(pp, gp)
            else:
                losses['loss_dice'] = losses['loss_focal'] = (
                    out['mask_logits'].sum() * 0.0)
        sp, sg = torch.cat(sem_pred), torch.cat(sem_gt)
        losses['loss_sem_dice'] = self.loss_sem_dice(sp, sg)
        losses['loss_sem_focal'] = self.loss_sem_focal(sp, sg)
        return losses
