# Copyright (c) docseg_mm contributors. All rights reserved.
"""DocSAM's hybrid query decoder: instance + semantic queries, 5 outputs."""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.ops import roi_align

from docseg_mm.registry import MODELS
from ..utils.query_selection import gather_queries, select_queries
from .docsam_mlp import DocSAMMLP, init_mlp_weights
from .docsam_predictors import DotProductClassPredictor, QueryMaskPredictor
from .hybrid_query_decoder_layer import HybridQueryDecoderLayer
from .learnable_pos_embed import LearnablePositionEmbedding2d


@MODELS.register_module()
class HybridQueryDecoder(nn.Module):
    """Refines instance and semantic queries over ``num_stages`` stages.

    Every stage ``idx`` in ``0..num_stages`` (``idx=0`` before any decoder
    layer) does: query selection (``idx >= 1``), RoI feature pooling on the
    current boxes of every level (``0.5 * state + 0.5 * pooled``), position
    pooling, one :class:`HybridQueryDecoderLayer` (``idx >= 1``) masked by
    the previous stage's masks, then the heads: semantic masks, instance
    masks (``idx >= 1``), box deltas (pixels, scaled by
    ``box_delta_scale``) and class logits = instance . semantic.

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
        faithful (bool): Bias-free query-fusion layers as in the released
            weights. Defaults to False.
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
                 faithful: bool = False) -> None:
        super().__init__()
        self.embed_dims = embed_dims
        self.num_stages = num_stages
        self.num_levels = num_levels
        self.num_heads = num_heads
        self.roi_size = roi_size
        self.box_delta_scale = box_delta_scale
        self.query_selection = query_selection
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
                                    num_levels, dropout, faithful)
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
    def _roi_features(self, feats: Sequence[Tensor], boxes: Tensor,
                      stride_of: Sequence[float]) -> Tensor:
        b, q = boxes.shape[:2]
        rois = list(boxes.detach().float().unbind(0))
        pooled = []
        for level, (feat, stride) in enumerate(zip(feats, stride_of)):
            r = roi_align(feat, rois, self.roi_size, 1.0 / stride,
                          sampling_ratio=-1, aligned=False)
            pooled.append(self.bbox_feat_projection[level](r.reshape(
                b, q, feat.shape[1] * self.roi_size**2)))
        return self.multiscale_feat_fusion(torch.cat(pooled, -1))

    def _attn_masks(self, mask_logits: Optional[Tensor],
                    level_sizes: Sequence[Tuple[int, int]],
                    padding_masks: Sequence[Tensor],
                    num_queries: int) -> List[Tensor]:
        """Masked-attention masks (True = blocked), padding merged in."""
        masks = []
        for (h, w), pad in zip(level_sizes, padding_masks):
            b = pad.shape[0]
            pad = pad[:, None, :].expand(b, num_queries, h * w)
            if mask_logits is None:
                blocked = pad
            else:
                with torch.no_grad():
                    s = max(int(round(mask_logits.shape[-2] / h)), 1)
                    # (2s+1)^2 max pool done separably (same values).
                    m = F.max_pool2d(mask_logits.detach(), (1, 2 * s + 1), 1,
                                     (0, s))
                    m = F.max_pool2d(m, (2 * s + 1, 1), 1, (s, 0))
                    m = F.interpolate(
                        m, (h, w), mode='bilinear', align_corners=False)
                    blocked = (m.sigmoid() < 0.5).flatten(2) | pad
                    full = blocked.all(-1, keepdim=True)
                    blocked = torch.where(full, pad, blocked)
            masks.append(blocked.repeat_interleave(self.num_heads, 0))
        return masks

    def _selection_thr(self, idx: int) -> float:
        return self.query_selection['score_thr'] / 2**(self.num_stages - idx)

    def forward(self, feats: Sequence[Tensor], mask_features: Tensor,
                image_bboxes: Tensor, pixel_mask: Tensor,
                instance_states: Tensor, instance_pos: Tensor, boxes: Tensor,
                semantic_states: Tensor, semantic_padding_mask: Tensor,
                num_labels: Sequence[int]) -> List[Dict[str, Tensor]]:
        """Run all stages.

        Args:
            feats (Sequence[Tensor]): ``num_levels`` maps ``(B, C, H_l, W_l)``
                coarse to fine; the last one at stride 4.
            mask_features (Tensor): ``(B, C, H/4, W/4)`` fused pixel
                features.
            image_bboxes (Tensor): ``(B, 4)`` valid region of each image in
                input pixels.
            pixel_mask (Tensor): ``(B, H, W)``, 1 on valid pixels.
            instance_states, instance_pos (Tensor): ``(B, Q, C)``.
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
        bsz = mask_features.shape[0]
        h4, w4 = mask_features.shape[-2:]
        in_h = pixel_mask.shape[-2]
        strides = [
            2.0**round(math.log2(in_h / f.shape[-2])) for f in feats
        ]
        table = self.position_embed_2dim(image_bboxes * 0.25, (h4, w4))
        mask_pos = self.mask_position_conv(table)
        image_pos = self.image_position_conv(table)
        pixel_embed = mask_features + mask_pos
        sem_pixels = self.semantic_mask_predictor.reduce_pixels(pixel_embed)
        inst_pixels = self.instance_mask_predictor.reduce_pixels(pixel_embed +
                                                                 mask_pos)

        level_sizes, memories, memory_pos, pads = [], [], [], []
        for feat in feats:
            h, w = feat.shape[-2:]
            pos = F.interpolate(
                image_pos, (h, w), mode='bilinear', align_corners=False)
            pos = pos.flatten(2).transpose(1, 2)
            memories.append(feat.flatten(2).transpose(1, 2) + pos)
            memory_pos.append(pos)
            level_sizes.append((h, w))
            pad = F.interpolate(
                pixel_mask[:, None].float(), (h, w),
                mode='bilinear', align_corners=False)
            pads.append(pad.flatten(1) < 0.5)

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
                keeps = select_queries(
                    outputs[-1]['cls_logits'], boxes, padding_mask,
                    num_labels, self._selection_thr(idx),
                    max(self.query_selection.get('min_num', 100), 1),
                    self.query_selection.get('max_num', 900),
                    self.query_selection.get('nms_iou', 0.9))
                tensors = [instance_states, boxes]
                if inst_masks is not None:
                    tensors.append(inst_masks)
                tensors, padding_mask = gather_queries(tensors, keeps)
                instance_states, boxes = tensors[:2]
                if inst_masks is not None:
                    inst_masks = tensors[2]
            roi_feat = self._roi_features(feats, boxes, strides)
            instance_states = 0.5 * instance_states + 0.5 * roi_feat
            pos_rois = roi_align(mask_pos, list(boxes.detach().unbind(0)),
                                 self.roi_size, 1.0 / strides[-1],
                                 sampling_ratio=-1, aligned=False)
            instance_pos = self.instance_posi_feat_projection(
                pos_rois.reshape(bsz, boxes.shape[1],
                                 mask_pos.shape[1] * self.roi_size**2))
            if idx >= 1:
                layer = self.decoder_layers[idx - 1]
                inst_attn = self._attn_masks(inst_masks, level_sizes, pads,
                                             instance_states.shape[1])
                sem_attn = self._attn_masks(outputs[-1]['sem_logits'],
                                            level_sizes, pads,
                                            semantic_states.shape[1])
                (instance_states, instance_pos, semantic_states,
                 sem_pos) = layer(instance_states, instance_pos,
                                  padding_mask, semantic_states, sem_pos,
                                  semantic_padding_mask, memories,
                                  memory_pos, inst_attn, sem_attn)
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
