# Copyright (c) docseg_mm contributors. All rights reserved.
"""DocSAM's hybrid query decoder: instance + semantic queries, 5 outputs."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from docseg_mm.registry import MODELS
from ..utils.mask_dilation import dilate_resize_levels
from ..utils.query_selection import gather_queries, select_queries
from ..utils.resize import resize_bilinear
from ..utils.separable_roi_align import separable_roi_align
from .docsam_mlp import DocSAMMLP, init_mlp_weights
from .docsam_predictors import DotProductClassPredictor, QueryMaskPredictor
from .hybrid_query_decoder_layer import HybridQueryDecoderLayer
from .learnable_pos_embed import LearnablePositionEmbedding2d


def _tokens(x: Tensor) -> Tensor:
    """``(B, C, H, W)`` -> ``(B, H * W, C)`` tokens (row-major): a view, for
    NCHW and channels-last maps alike (the attention reads either layout
    without copying)."""
    return x.flatten(2).transpose(1, 2)


@MODELS.register_module()
class HybridQueryDecoder(nn.Module):
    """Refines instance and semantic queries over ``num_stages`` stages.

    Every stage ``idx`` in ``0..num_stages`` (``idx=0`` before any decoder
    layer) does: query selection (``idx >= 1``), RoI feature pooling on the
    current boxes of every level map (level features plus their image
    positions; ``0.5 * state + 0.5 * pooled``), position pooling (instance
    positions RoI-pooled from the mask positions, semantic positions from
    their mean), one :class:`HybridQueryDecoderLayer` (``idx >= 1``) masked
    by the previous stage's masks, then the heads with the pooled positions:
    semantic masks, instance masks (``idx >= 1``), box deltas (pixels,
    scaled by ``box_delta_scale``) and class logits = instance . semantic.

    Args:
        embed_dims (int): Channels. Defaults to 256.
        num_stages (int): Decoder layers. Defaults to 4.
        num_levels (int): Feature levels (coarse to fine, the last at
            stride 4). Defaults to 4.
        num_heads (int): Attention heads. Defaults to 8.
        ffn_dims (int): FFN channels. Defaults to 2048.
        dropout (float): Dropout in the decoder layers. Defaults to 0.1.
        roi_size (int): RoI-align output size. Defaults to 7.
        box_delta_scale (float): Box deltas are predicted in units of this
            many pixels. Defaults to 100.
        pos_table_size (int): Side of the learnable position table.
            Defaults to 256.
        query_selection (dict, optional): ``score_thr`` (threshold of the
            last stage; stage ``idx`` uses ``score_thr / 2**(num_stages -
            idx)``), ``min_num``, ``max_num``, ``nms_iou``. None disables
            selection. Defaults to the original's values.
        num_groups (int, optional): GroupNorm groups of the mask heads.
            Defaults to ``min(32, embed_dims)``.
        roi_sampling_ratio (int): RoI-align sampling points per bin and
            axis; -1 = adaptive (``ceil(RoI size / roi_size)``, the
            original's). Defaults to -1. A fixed ratio (e.g. 2) is an
            approximation for speed, NOT the original model: large boxes on
            the stride-4 map are then read at fewer points.
        cross_attn_dropout (float, optional): Dropout of the masked
            cross-attention probabilities. Defaults to None (``dropout``, as
            the original); another value (e.g. 0.0) is an approximation for
            speed, NOT the original model.
        channels_last (bool): Run the mask predictors' stride-4
            convolutions in channels-last memory format (same values up to
            float rounding). Defaults to False.
        faithful (bool): As the released weights and code: bias-free
            query-fusion layers; query selection also among the padded rows
            of a batch (the original ignores its padding there, so an image's
            result depends on the other images of its batch; by default
            padded rows never return); and its NMS on the raw boxes (an
            inverted box, x1 < x0, then never suppresses nor is suppressed;
            by default the corners are ordered first). Defaults to False.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_stages: int = 4,
                 num_levels: int = 4,
                 num_heads: int = 8,
                 ffn_dims: int = 2048,
                 dropout: float = 0.1,
                 roi_size: int = 7,
                 box_delta_scale: float = 100.,
                 pos_table_size: int = 256,
                 query_selection: Optional[dict] = dict(
                     score_thr=0.01, min_num=100, max_num=900, nms_iou=0.9),
                 num_groups: Optional[int] = None,
                 roi_sampling_ratio: int = -1,
                 cross_attn_dropout: Optional[float] = None,
                 channels_last: bool = False,
                 faithful: bool = False) -> None:
        super().__init__()
        self.roi_sampling_ratio = roi_sampling_ratio
        self.channels_last = channels_last
        self.embed_dims = embed_dims
        self.num_stages = num_stages
        self.num_levels = num_levels
        self.num_heads = num_heads
        self.roi_size = roi_size
        self.box_delta_scale = box_delta_scale
        self.query_selection = query_selection
        self.faithful = faithful
        roi_dims = embed_dims * roi_size * roi_size

        self.position_embed_2dim = LearnablePositionEmbedding2d(
            pos_table_size, pos_table_size, embed_dims)
        self.image_position_conv = nn.Sequential(
            nn.Conv2d(embed_dims, embed_dims, 1, bias=False))
        self.mask_position_conv = nn.Sequential(
            nn.Conv2d(embed_dims, embed_dims, 1, bias=False))
        self.bbox_feat_projection = nn.ModuleList(
            DocSAMMLP(roi_dims, embed_dims, embed_dims)
            for _ in range(num_levels))
        self.multiscale_feat_fusion = DocSAMMLP(embed_dims * num_levels,
                                                embed_dims, embed_dims)
        self.instance_posi_feat_projection = DocSAMMLP(
            roi_dims, embed_dims, embed_dims)
        self.semantic_posi_feat_projection = DocSAMMLP(
            embed_dims, embed_dims, embed_dims)
        self.decoder_layers = nn.ModuleList(
            HybridQueryDecoderLayer(embed_dims, num_heads, ffn_dims,
                                    num_levels, dropout, faithful,
                                    cross_attn_dropout)
            for _ in range(num_stages))
        self.semantic_mask_predictor = QueryMaskPredictor(
            embed_dims, num_groups)
        self.instance_mask_predictor = QueryMaskPredictor(
            embed_dims, num_groups)
        self.instance_bbox_predictor = DocSAMMLP(embed_dims, embed_dims, 4)
        self.class_predictor = DotProductClassPredictor(embed_dims)

    def init_weights(self) -> None:
        """Truncated-normal linears; zero last box layer (start at the
        proposals)."""
        init_mlp_weights(self)
        nn.init.zeros_(self.instance_bbox_predictor[-1][0].weight)

    # ------------------------------------------------------------------
    def _level_stride(self, level: int) -> float:
        """Stride of level ``level`` (coarse to fine, the last at 4)."""
        return 4.0 * 2**(self.num_levels - 1 - level)

    def _roi_features(self, level_maps: Sequence[Tensor],
                      fine_with_pos: Tensor,
                      boxes: Tensor) -> Tuple[Tensor, Tensor]:
        """RoI features of every level and RoI-pooled positions.

        The finest level and the mask positions (both at stride 4) are
        pooled with the same boxes by ONE ``roi_align`` over their channel
        concatenation ``fine_with_pos``; ``roi_align`` treats channels
        independently, so this equals two separate calls. RoI-align is
        torchvision's with a faster backward (:func:`separable_roi_align`).

        Args:
            level_maps (Sequence[Tensor]): ``(B, C, H_l, W_l)`` level
                features with their image positions added, coarse to fine
                (the finest one is only read through ``fine_with_pos``).
            fine_with_pos (Tensor): ``(B, 2C, H/4, W/4)``: the finest level
                map and the mask positions, concatenated.
            boxes (Tensor): ``(B, Q, 4)`` xyxy, input pixels.

        Returns:
            tuple[Tensor, Tensor]: ``(B, Q, C)`` fused RoI features
            (``multiscale_feat_fusion``) and ``(B, Q, C)`` instance
            positions (``instance_posi_feat_projection``).
        """
        b, q = boxes.shape[:2]
        # (B * Q, 5) rois: image index, xyxy
        image_idx = torch.arange(b, device=boxes.device).repeat_interleave(q)
        rois = torch.cat([
            image_idx[:, None].to(level_maps[0].dtype),
            boxes.detach().reshape(-1, 4).to(level_maps[0].dtype)
        ], 1)
        pooled = []
        last = self.num_levels - 1
        for level in range(last + 1):
            feat = level_maps[level] if level < last else fine_with_pos
            r = separable_roi_align(
                feat,
                rois,
                self.roi_size,
                1.0 / self._level_stride(level),
                sampling_ratio=self.roi_sampling_ratio,
                aligned=False)
            if level == last:
                r, pos_r = r.split(fine_with_pos.shape[1] // 2, 1)
            pooled.append(self.bbox_feat_projection[level](r.reshape(b, q,
                                                                     -1)))
        roi_feat = self.multiscale_feat_fusion(torch.cat(pooled, -1))
        pos = self.instance_posi_feat_projection(pos_r.reshape(b, q, -1))
        return roi_feat, pos

    def _attn_masks(self, mask_logits: Optional[Tensor],
                    level_sizes: Sequence[Tuple[int, int]],
                    padding_masks: Sequence[Tensor]) -> List[Tensor]:
        """Masked-attention masks of every level (True = blocked).

        As the original: the previous masks are dilated by a
        ``(2s+1)^2`` max-pool (``s = round(H/4 / H_l)``), resized to the
        level, ``sigmoid < 0.5`` is blocked, and a query blocked on its
        whole level is un-blocked there; only then is the padding merged in
        (a query whose mask lies inside the padding is then blocked on every
        key and gets a zero attention output).

        Args:
            mask_logits (Tensor, optional): ``(B, Q, H/4, W/4)`` previous
                mask logits; None means padding only.
            level_sizes (Sequence[tuple]): ``(H_l, W_l)`` per level.
            padding_masks (Sequence[Tensor]): ``(B, H_l * W_l)`` bool per
                level, True = padding.

        Returns:
            list[Tensor]: Bool ``(B, 1, Q, H_l * W_l)`` per level (``(B, 1,
            1, H_l * W_l)`` without mask logits); they broadcast over the
            heads.
        """
        if mask_logits is None:
            return [pad[:, None, None, :] for pad in padding_masks]
        masks = []
        with torch.no_grad():
            dilated = dilate_resize_levels(mask_logits.detach(), level_sizes)
            for m, pad in zip(dilated, padding_masks):
                blocked = (m.sigmoid() < 0.5).flatten(2)
                blocked &= ~blocked.all(-1, keepdim=True)
                masks.append(blocked[:, None] | pad[:, None, None, :])
        return masks

    def _selection_thr(self, idx: int) -> float:
        return self.query_selection['score_thr'] / 2**(self.num_stages - idx)

    def forward(self, feats: Sequence[Tensor], mask_features: Tensor,
                image_bboxes: Tensor, pixel_mask: Tensor,
                instance_states: Tensor, boxes: Tensor,
                semantic_states: Tensor, semantic_padding_mask: Tensor,
                num_labels: Sequence[int]) -> List[Dict[str, Tensor]]:
        """Run all stages.

        Per stage (the original's ``Mask2FormerMaskedAttentionDecoder``):
        query selection (``idx >= 1``); RoI pooling of the level features
        with their image positions added (``state = 0.5 * state + 0.5 *
        pooled``); instance positions RoI-pooled from the mask positions with
        the current boxes and semantic positions from their mean (fresh every
        stage); the decoder layer (``idx >= 1``); then the heads, which use
        these positions.

        Args:
            feats (Sequence[Tensor]): ``num_levels`` maps ``(B, C, H_l, W_l)``
                coarse to fine; the last one at stride 4.
            mask_features (Tensor): ``(B, C, H/4, W/4)`` fused pixel
                features.
            image_bboxes (Tensor): ``(B, 4)`` valid region of each image in
                input pixels.
            pixel_mask (Tensor): ``(B, H, W)``, 1 on valid pixels.
            instance_states (Tensor): ``(B, Q, C)`` initial states (learned
                queries plus learned positions).
            boxes (Tensor): ``(B, Q, 4)`` initial boxes, input pixels.
            semantic_states (Tensor): ``(B, K, C)``.
            semantic_padding_mask (Tensor): ``(B, K)`` bool.
            num_labels (Sequence[int]): Class count incl. background per
                image.

        Returns:
            list[dict]: One dict per stage with ``cls_logits`` ``(B, Q_s,
            K)``, ``mask_logits`` ``(B, Q_s, H/4, W/4)`` (None at stage 0),
            ``sem_logits`` ``(B, K, H/4, W/4)``, ``boxes`` ``(B, Q_s, 4)`` and
            ``padding_mask`` ``(B, Q_s)``.
        """
        h4, w4 = mask_features.shape[-2:]
        table = self.position_embed_2dim(image_bboxes * 0.25, (h4, w4))
        table = table.to(mask_features.dtype)
        mask_pos = self.mask_position_conv(table)
        image_pos = self.image_position_conv(table)
        pixel_embed = mask_features + mask_pos
        if self.channels_last:
            pixel_embed = pixel_embed.contiguous(
                memory_format=torch.channels_last)
        sem_pixels = self.semantic_mask_predictor.reduce_pixels(pixel_embed)
        inst_pixels = self.instance_mask_predictor.reduce_pixels(pixel_embed +
                                                                 mask_pos)

        level_sizes, level_maps, memories, memory_keys, pads = [], [], [], \
            [], []
        for feat in feats:
            h, w = feat.shape[-2:]
            pos = resize_bilinear(image_pos, (h, w))
            level = feat + pos  # what cross-attention and RoI pooling read
            memory = _tokens(level)
            level_maps.append(level)
            memories.append(memory)
            memory_keys.append(memory + _tokens(pos))
            level_sizes.append((h, w))
            pad = F.interpolate(
                pixel_mask[:, None].to(feat.dtype), (h, w),
                mode='bilinear', align_corners=False)
            pads.append(pad.flatten(1) < 0.5)
        # contiguous once here, not in every stage's roi_align
        fine_with_pos = torch.cat([level_maps[-1], mask_pos], 1).contiguous()

        # the same for every stage (mask_pos does not change)
        sem_pos = self.semantic_posi_feat_projection(mask_pos.mean((2, 3)))
        sem_pos = sem_pos[:, None].expand_as(semantic_states)
        padding_mask = torch.zeros(
            instance_states.shape[:2],
            dtype=torch.bool,
            device=instance_states.device)
        outputs: List[Dict[str, Tensor]] = []
        inst_masks: Optional[Tensor] = None
        for idx in range(self.num_stages + 1):
            if idx >= 1 and self.query_selection is not None:
                # the original selects among all rows, padded ones too
                keeps = select_queries(
                    outputs[-1]['cls_logits'], boxes,
                    padding_mask & (not self.faithful),
                    num_labels, self._selection_thr(idx),
                    max(self.query_selection.get('min_num', 100), 1),
                    self.query_selection.get('max_num', 900),
                    self.query_selection.get('nms_iou', 0.9),
                    normalize_boxes=not self.faithful)
                tensors = [instance_states, boxes]
                if inst_masks is not None:
                    tensors.append(inst_masks)
                tensors, padding_mask = gather_queries(tensors, keeps)
                instance_states, boxes = tensors[:2]
                if inst_masks is not None:
                    inst_masks = tensors[2]
            roi_feat, instance_pos = self._roi_features(
                level_maps, fine_with_pos, boxes)
            instance_states = 0.5 * instance_states + 0.5 * roi_feat
            if idx >= 1:
                layer = self.decoder_layers[idx - 1]
                inst_attn = self._attn_masks(inst_masks, level_sizes, pads)
                sem_attn = self._attn_masks(outputs[-1]['sem_logits'],
                                            level_sizes, pads)
                instance_states, semantic_states = layer(
                    instance_states, instance_pos, padding_mask,
                    semantic_states, sem_pos, semantic_padding_mask,
                    memories, memory_keys, inst_attn, sem_attn)
            sem_logits = self.semantic_mask_predictor(
                semantic_states, reduced_pixels=sem_pixels)
            inst_masks = None
            if idx >= 1:
                inst_masks = self.instance_mask_predictor(
                    instance_states + instance_pos,
                    reduced_pixels=inst_pixels)
            boxes = boxes + self.instance_bbox_predictor(
                instance_states + instance_pos) * self.box_delta_scale
            cls_logits = self.class_predictor(instance_states,
                                              semantic_states)
            outputs.append(
                dict(
                    cls_logits=cls_logits,
                    mask_logits=inst_masks,
                    sem_logits=sem_logits,
                    boxes=boxes,
                    padding_mask=padding_mask))
        return outputs


__all__ = ['HybridQueryDecoder']
