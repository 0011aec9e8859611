# Copyright (c) docseg_mm contributors. All rights reserved.
"""An independent, step-by-step DocSAM decoder written from the spec.

``selfdocseg_docsam.md`` B3.5 with its "Corrections to B3.5" (checked
against the original ``modeling_mask2former.py``): the functions below read
the raw parameters of docseg_mm's modules by name (the names are the
released checkpoint's) and recompute every step with plain tensor algebra,
the original's un-optimised order of operations and the original's mask
conventions ((B * heads, Q, HW) masks, un-blocking of fully blocked rows
before the padding is merged, per-label NMS loops). They share no code with
``docseg_mm.models.layers`` beyond ``torchvision.ops.roi_align`` / ``nms``,
the operators the original calls.
"""
import math

import torch
import torch.nn.functional as F
from torchvision.ops import nms, roi_align


# ---------------------------------------------------------------------------
# basic pieces
# ---------------------------------------------------------------------------
def ref_layer_norm(x, norm):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu)**2).mean(-1, keepdim=True)
    y = (x - mu) / torch.sqrt(var + norm.eps) * norm.weight
    return y if norm.bias is None else y + norm.bias


def ref_linear(x, lin):
    y = x @ lin.weight.t()
    return y if lin.bias is None else y + lin.bias


def ref_group_norm(x, gn):
    b, c = x.shape[:2]
    g = x.reshape(b, gn.num_groups, -1)
    mu = g.mean(-1, keepdim=True)
    var = ((g - mu)**2).mean(-1, keepdim=True)
    y = ((g - mu) / torch.sqrt(var + gn.eps)).reshape(x.shape)
    return y * gn.weight[None, :, None, None] + gn.bias[None, :, None, None]


def ref_mlp(x, mlp):
    """``(Linear, LayerNorm, SiLU)`` blocks then a Linear (DocSAMMLP)."""
    for i, block in enumerate(mlp):
        x = ref_linear(x, block[0])
        if i < len(mlp) - 1:
            x = F.silu(ref_layer_norm(x, block[1]))
    return x


def ref_conv_mlp(x, mlp):
    """``(Conv3x3, GroupNorm, SiLU)`` blocks then a Conv3x3."""
    for i, block in enumerate(mlp):
        x = F.conv2d(x, block[0].weight, padding=1)
        if i < len(mlp) - 1:
            x = F.silu(ref_group_norm(x, block[1]))
    return x


def ref_mha(q_in, k_in, v_in, attn, key_padding_mask=None, attn_mask=None):
    """Multi-head attention from the raw projection weights.

    ``attn_mask``: ``(B * heads, Nq, Nk)`` bool, True = blocked. A row with
    every key blocked gets a zero attention output (as
    ``nn.MultiheadAttention`` in current PyTorch, which the original runs
    on).
    """
    e, h = attn.embed_dim, attn.num_heads
    d = e // h
    w = attn.in_proj_weight
    b = attn.in_proj_bias
    bias = [None] * 3 if b is None else [b[:e], b[e:2 * e], b[2 * e:]]

    def proj(x, i):
        y = x @ w[i * e:(i + 1) * e].t()
        y = y if bias[i] is None else y + bias[i]
        return y.view(x.shape[0], x.shape[1], h, d).transpose(1, 2)

    q, k, v = proj(q_in, 0), proj(k_in, 1), proj(v_in, 2)
    scores = q @ k.transpose(-1, -2) / math.sqrt(d)  # (B, h, Nq, Nk)
    blocked = torch.zeros_like(scores, dtype=torch.bool)
    if key_padding_mask is not None:
        blocked = blocked | key_padding_mask[:, None, None, :]
    if attn_mask is not None:
        blocked = blocked | attn_mask.view(q_in.shape[0], h, *
                                           attn_mask.shape[1:])
    probs = scores.masked_fill(blocked, float('-inf')).softmax(-1)
    probs = torch.where(
        blocked.all(-1, keepdim=True), torch.zeros_like(probs), probs)
    out = probs @ v  # (B, h, Nq, d)
    out = out.transpose(1, 2).reshape(q_in.shape[0], q_in.shape[1], e)
    return ref_linear(out, attn.out_proj)


# ---------------------------------------------------------------------------
# decoder layers
# ---------------------------------------------------------------------------
def ref_fusion(layer, x, pos, kpm):
    """Query fusion: post-norm encoder layer, ReLU FFN, pos on Q and K."""
    qk = x + pos
    x = ref_layer_norm(x + ref_mha(qk, qk, x, layer.self_attn, kpm),
                       layer.norm1)
    ffn = ref_linear(F.relu(ref_linear(x, layer.linear1)), layer.linear2)
    return ref_layer_norm(x + ffn, layer.norm2)


def ref_gated(layer, x, pos, mem, mem_pos, attn_mask, mem_kpm, q_kpm):
    """Gated decoder layer: SA(q=k=x+pos, v=x) -> gated masked CA ->
    the same SA and norm1 again -> SiLU FFN.

    Returns the output and ``(x1, m, gate)`` of the cross-attention.
    """

    def sa(t):
        qk = t + pos
        return ref_layer_norm(t + ref_mha(qk, qk, t, layer.self_attn, q_kpm),
                              layer.norm1)

    x1 = sa(x)
    m = ref_mha(x1 + pos, mem + mem_pos, mem, layer.multihead_attn, mem_kpm,
                attn_mask)
    gate = torch.sigmoid((x1 + m) @ layer.cross_atten_gate[0].weight.t())
    x2 = ref_layer_norm(x1 + gate * m, layer.norm2)
    x3 = sa(x2)
    ffn = ref_linear(F.silu(ref_linear(x3, layer.linear1)), layer.linear2)
    return ref_layer_norm(x3 + ffn, layer.norm3), (x1, m, gate)


def ref_hybrid_layer(layer, inst, inst_pos, inst_pad, sem, sem_pos, sem_pad,
                     mems, mem_poss, mem_pads, inst_masks, sem_masks):
    """One decoder stage; returns only the new states (as the original).

    ``mems`` / ``mem_poss``: per level (B, HW, C) memory (features with
    their image positions added) and image positions; ``mem_pads`` per level
    (B, HW) padding; ``*_masks`` per level (B * heads, Q, HW) or None.
    """
    q = inst.shape[1]
    pad = torch.cat([inst_pad, sem_pad], 1)
    x = ref_fusion(layer.query_fusion_encoder_1, torch.cat([inst, sem], 1),
                   torch.cat([inst_pos, sem_pos], 1), pad)
    inst, sem = x[:, :q], x[:, q:]
    outs = []
    for name, s, p, qpad, masks in (('instance', inst, inst_pos, inst_pad,
                                     inst_masks), ('semantic', sem, sem_pos,
                                                   sem_pad, sem_masks)):
        s = ref_linear(s, getattr(layer, f'{name}_fc1'))
        p = ref_linear(p, getattr(layer, f'{name}_pos_fc1'))
        for lvl, dec in enumerate(getattr(layer, f'{name}_decoder')):
            s, _ = ref_gated(dec, s, p, mems[lvl], mem_poss[lvl],
                             None if masks is None else masks[lvl],
                             mem_pads[lvl], qpad)
        outs.append((ref_linear(s, getattr(layer, f'{name}_fc2')),
                     ref_linear(p, getattr(layer, f'{name}_pos_fc2'))))
    (inst, inst_p2), (sem, sem_p2) = outs
    x = ref_fusion(layer.query_fusion_encoder_2, torch.cat([inst, sem], 1),
                   torch.cat([inst_p2, sem_p2], 1), pad)
    return x[:, :q], x[:, q:]


# ---------------------------------------------------------------------------
# decoder pieces
# ---------------------------------------------------------------------------
def ref_position_table(table, image_bboxes, size):
    """The learnable table resized into each box (floor), zero outside."""
    half = table.position_embed_x.weight.shape[1]
    rows = table.position_embed_y.weight.shape[0]
    cols = table.position_embed_x.weight.shape[0]
    grid = torch.cat([
        table.position_embed_x.weight[None].expand(rows, cols, half),
        table.position_embed_y.weight[:, None].expand(rows, cols, half)
    ], -1).permute(2, 0, 1)[None]
    out = grid.new_zeros(image_bboxes.shape[0], 2 * half, *size)
    for i, box in enumerate(image_bboxes.tolist()):
        x0, y0, x1, y1 = (int(math.floor(v)) for v in box)
        x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
        out[i, :, y0:y1, x0:x1] = F.interpolate(
            grid, (y1 - y0, x1 - x0), mode='bilinear', align_corners=False)[0]
    return out


def ref_attention_masks(prev, level_sizes, heads):
    """The original's ``get_attention_mask``: (B * heads, Q, HW) bool, no
    padding merged; fully blocked rows un-blocked."""
    if prev is None:
        return None
    masks = []
    for h, w in level_sizes:
        s = round(prev.shape[2] / h)
        m = F.max_pool2d(prev, 2 * s + 1, 1, s)
        m = F.interpolate(m, (h, w), mode='bilinear', align_corners=False)
        m = (m.sigmoid() < 0.5).flatten(2)
        m[m.sum(-1) == m.shape[-1]] = False
        masks.append(m.repeat_interleave(heads, 0))
    return masks


def ref_select(states,
               boxes,
               masks,
               logits,
               num_labels,
               thr,
               min_num,
               max_num,
               iou=0.9,
               padding=None):
    """The original's ``select_queries`` (threshold / top-k fallback,
    per-label NMS loop on the raw boxes, top-k cap, zero re-padding).

    The original selects among all rows, padded ones included; with
    ``padding`` given, padded rows are left out and the boxes' corners are
    ordered before the NMS (docseg_mm's default).
    """
    out_s, out_b, out_m = [], [], []
    for n, num in enumerate(num_labels):
        probs = logits[n, :, :num].softmax(-1)
        scores, labels = probs[:, :num - 1].max(-1)
        rows = torch.arange(len(scores))
        nms_boxes = boxes[n]
        if padding is not None:
            rows = rows[~padding[n]]
            nms_boxes = torch.cat([
                torch.minimum(nms_boxes[:, :2], nms_boxes[:, 2:]),
                torch.maximum(nms_boxes[:, :2], nms_boxes[:, 2:])
            ], 1)
        idx = rows[scores[rows] > thr]
        if idx.numel() < min_num:
            idx = rows[scores[rows].topk(min(min_num, rows.numel())).indices]
        kept = []
        for label in torch.unique(labels[idx]):
            sub = idx[labels[idx] == label]
            kept.append(sub[nms(nms_boxes[sub], scores[sub], iou)])
        kept = torch.cat(kept)
        if kept.numel() > max_num:
            kept = kept[scores[kept].topk(max_num).indices]
        out_s.append(states[n, kept])
        out_b.append(boxes[n, kept])
        out_m.append(None if masks is None else masks[n, kept])
    q = max(len(s) for s in out_s)

    def pad(ts):
        out = ts[0].new_zeros((len(ts), q) + tuple(ts[0].shape[1:]))
        for i, t in enumerate(ts):
            out[i, :len(t)] = t
        return out

    padding = torch.ones(len(out_s), q, dtype=torch.bool)
    for i, s in enumerate(out_s):
        padding[i, :len(s)] = False
    return (pad(out_s), pad(out_b), None if masks is None else pad(out_m),
            padding)


def ref_decoder(dec,
                feats,
                mask_features,
                image_bboxes,
                pixel_mask,
                inst_states,
                boxes,
                sem_states,
                sem_pad,
                num_labels,
                selection=None,
                original_selection=True):
    """All stages of the hybrid query decoder.

    ``selection``: None or ``(min_num, max_num, score_thr)``;
    ``original_selection``: select among padded rows too and NMS the raw
    boxes (the original) or not (see :func:`ref_select`).
    Returns a list of dicts like ``HybridQueryDecoder.forward``.
    """
    heads = dec.num_heads
    stages = len(dec.decoder_layers)
    h4, w4 = mask_features.shape[-2:]
    table = ref_position_table(dec.position_embed_2dim, image_bboxes * 0.25,
                               (h4, w4))
    mask_pos = F.conv2d(table, dec.mask_position_conv[0].weight)
    image_pos = F.conv2d(table, dec.image_position_conv[0].weight)
    pixels = mask_features + mask_pos
    levels, mems, mem_poss, mem_pads, sizes = [], [], [], [], []
    for feat in feats:
        size = tuple(feat.shape[-2:])
        pos = F.interpolate(
            image_pos, size, mode='bilinear', align_corners=False)
        levels.append(feat + pos)
        mems.append((feat + pos).flatten(2).transpose(1, 2))
        mem_poss.append(pos.flatten(2).transpose(1, 2))
        pm = F.interpolate(
            pixel_mask[:, None].to(feat.dtype),
            size,
            mode='bilinear',
            align_corners=False)
        mem_pads.append(pm.flatten(1) < 0.5)
        sizes.append(size)
    b = inst_states.shape[0]
    inst_pad = torch.zeros(inst_states.shape[:2], dtype=torch.bool)
    inst_masks, sem_masks, outs = None, None, []
    logits = None
    for idx in range(stages + 1):
        if idx > 0 and selection is not None:
            min_num, max_num, thr = selection
            inst_states, boxes, inst_masks, inst_pad = ref_select(
                inst_states,
                boxes,
                inst_masks,
                logits,
                num_labels,
                thr / 2**(stages - idx),
                min_num,
                max_num,
                padding=None if original_selection else inst_pad)
        q = boxes.shape[1]
        rois = list(boxes.unbind(0))
        pooled = []
        for lvl, level in enumerate(levels):
            r = roi_align(level, rois, dec.roi_size,
                          1 / 4 / 2**(len(levels) - 1 - lvl))
            pooled.append(
                ref_mlp(r.flatten(1),
                        dec.bbox_feat_projection[lvl]).view(b, q, -1))
        roi_feat = ref_mlp(torch.cat(pooled, -1), dec.multiscale_feat_fusion)
        inst_states = 0.5 * inst_states + 0.5 * roi_feat
        r = roi_align(mask_pos, rois, dec.roi_size, 1 / 4)
        inst_pos = ref_mlp(r.flatten(1),
                           dec.instance_posi_feat_projection).view(b, q, -1)
        sem_pos = ref_mlp(
            mask_pos.mean((2, 3))[:, None].expand(sem_states.shape),
            dec.semantic_posi_feat_projection)
        if idx > 0:
            inst_states, sem_states = ref_hybrid_layer(
                dec.decoder_layers[idx - 1], inst_states, inst_pos, inst_pad,
                sem_states, sem_pos, sem_pad, mems, mem_poss, mem_pads,
                ref_attention_masks(inst_masks, sizes, heads),
                ref_attention_masks(sem_masks, sizes, heads))
        pred = dec.semantic_mask_predictor
        sem_masks = torch.einsum(
            'bqc,bchw->bqhw', ref_mlp(sem_states, pred.query_feat_reducer),
            ref_conv_mlp(pixels, pred.visual_feat_reducer))
        if idx > 0:
            pred = dec.instance_mask_predictor
            inst_masks = torch.einsum(
                'bqc,bchw->bqhw',
                ref_mlp(inst_states + inst_pos, pred.query_feat_reducer),
                ref_conv_mlp(pixels + mask_pos, pred.visual_feat_reducer))
        boxes = boxes + ref_mlp(inst_states + inst_pos,
                                dec.instance_bbox_predictor) * 100
        cls = dec.class_predictor
        logits = torch.einsum('bic,bjc->bij',
                              ref_mlp(inst_states, cls.feat_reducer_one),
                              ref_mlp(sem_states, cls.feat_reducer_two))
        outs.append(
            dict(
                cls_logits=logits,
                mask_logits=inst_masks,
                sem_logits=sem_masks,
                boxes=boxes,
                padding_mask=inst_pad))
    return outs
