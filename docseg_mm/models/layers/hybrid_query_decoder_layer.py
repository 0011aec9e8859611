# Copyright (c) docseg_mm contributors. All rights reserved.
"""One stage of DocSAM's hybrid query decoder."""
from typing import List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from .gated_decoder_layer import GatedCrossAttentionDecoderLayer
from .query_fusion_layer import QueryFusionLayer


class HybridQueryDecoderLayer(nn.Module):
    """Joint self-attention, then per-branch masked cross-attention.

    1. ``query_fusion_encoder_1``: self-attention over the concatenation of
       instance and semantic queries;
    2. instance branch: ``instance_fc1`` -> one
       :class:`GatedCrossAttentionDecoderLayer` per feature level (coarse to
       fine) -> ``instance_fc2``; the branch positions go through
       ``instance_pos_fc1`` (used by the decoder layers) and
       ``instance_pos_fc2``; the semantic branch is the same with its own
       weights;
    3. ``query_fusion_encoder_2`` on the concatenation again, with the
       ``*_pos_fc2`` positions.

    Only the states leave the layer: the next stage and the heads use
    freshly pooled positions (see :class:`HybridQueryDecoder`).

    Args:
        embed_dims (int): Channels. Defaults to 256.
        num_heads (int): Attention heads. Defaults to 8.
        ffn_dims (int): FFN hidden channels. Defaults to 2048.
        num_levels (int): Feature levels attended to. Defaults to 4.
        dropout (float): Dropout. Defaults to 0.1.
        faithful (bool): Build the bias-free query-fusion layers of the
            original (see :class:`QueryFusionLayer`). Defaults to False.
        cross_attn_dropout (float, optional): Dropout of the masked
            cross-attention probabilities (see
            :class:`GatedCrossAttentionDecoderLayer`). Defaults to None
            (``dropout``, as the original).
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 ffn_dims: int = 2048,
                 num_levels: int = 4,
                 dropout: float = 0.1,
                 faithful: bool = False,
                 cross_attn_dropout: Optional[float] = None) -> None:
        super().__init__()

        def fusion() -> QueryFusionLayer:
            return QueryFusionLayer(embed_dims, num_heads, ffn_dims, dropout,
                                    faithful)

        def decoders() -> nn.ModuleList:
            return nn.ModuleList(
                GatedCrossAttentionDecoderLayer(embed_dims, num_heads,
                                                ffn_dims, dropout,
                                                cross_attn_dropout)
                for _ in range(num_levels))

        self.query_fusion_encoder_1 = fusion()
        for branch in ('instance', 'semantic'):
            setattr(self, f'{branch}_fc1', nn.Linear(embed_dims, embed_dims))
            setattr(self, f'{branch}_pos_fc1',
                    nn.Linear(embed_dims, embed_dims))
            setattr(self, f'{branch}_decoder', decoders())
            setattr(self, f'{branch}_fc2', nn.Linear(embed_dims, embed_dims))
            setattr(self, f'{branch}_pos_fc2',
                    nn.Linear(embed_dims, embed_dims))
        self.query_fusion_encoder_2 = fusion()

    def _branch(self, name: str, states: Tensor, pos: Tensor,
                memories: Sequence[Tensor], memory_keys: Sequence[Tensor],
                attn_masks: Sequence[Optional[Tensor]],
                query_padding_mask: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        states = getattr(self, f'{name}_fc1')(states)
        pos = getattr(self, f'{name}_pos_fc1')(pos)
        for layer, mem, key, mask in zip(
                getattr(self, f'{name}_decoder'), memories, memory_keys,
                attn_masks):
            states = layer(
                states,
                pos,
                mem,
                attn_mask=mask,
                query_padding_mask=query_padding_mask,
                memory_key=key)
        return (getattr(self, f'{name}_fc2')(states),
                getattr(self, f'{name}_pos_fc2')(pos))

    def forward(self, instance_states: Tensor, instance_pos: Tensor,
                instance_padding_mask: Tensor, semantic_states: Tensor,
                semantic_pos: Tensor, semantic_padding_mask: Tensor,
                memories: Sequence[Tensor], memory_keys: Sequence[Tensor],
                instance_attn_masks: Sequence[Optional[Tensor]],
                semantic_attn_masks: Sequence[Optional[Tensor]]
                ) -> List[Tensor]:
        """Run one stage.

        Args:
            instance_states, instance_pos (Tensor): ``(B, Q, C)``.
            instance_padding_mask (Tensor): ``(B, Q)`` bool, True = padded.
            semantic_states, semantic_pos (Tensor): ``(B, K, C)``.
            semantic_padding_mask (Tensor): ``(B, K)`` bool.
            memories (Sequence[Tensor]): Per level ``(B, HW_l, C)``, the
                cross-attention values.
            memory_keys (Sequence[Tensor]): Per level ``(B, HW_l, C)``, the
                cross-attention keys (memory + its positions).
            instance_attn_masks, semantic_attn_masks (Sequence): Per level
                bool masks, True = blocked, padding merged in, broadcastable
                to ``(B, heads, Q_or_K, HW_l)``.

        Returns:
            list[Tensor]: New instance and semantic states. As in the
            original, the positions made by ``*_pos_fc1`` / ``*_pos_fc2``
            only serve inside the layer (the second query fusion uses the
            ``*_pos_fc2`` ones); they are not returned.
        """
        num_inst = instance_states.shape[1]

        def fuse(layer: QueryFusionLayer, inst: Tensor, sem: Tensor,
                 inst_pos: Tensor, sem_pos: Tensor) -> Tuple[Tensor, Tensor]:
            out = layer(
                torch.cat([inst, sem], 1), torch.cat([inst_pos, sem_pos], 1),
                torch.cat([instance_padding_mask, semantic_padding_mask], 1))
            return out[:, :num_inst], out[:, num_inst:]

        inst, sem = fuse(self.query_fusion_encoder_1, instance_states,
                         semantic_states, instance_pos, semantic_pos)
        inst, inst_pos = self._branch('instance', inst, instance_pos,
                                      memories, memory_keys,
                                      instance_attn_masks,
                                      instance_padding_mask)
        sem, sem_pos = self._branch('semantic', sem, semantic_pos, memories,
                                    memory_keys, semantic_attn_masks,
                                    semantic_padding_mask)
        inst, sem = fuse(self.query_fusion_encoder_2, inst, sem, inst_pos,
                         sem_pos)
        return [inst, sem]
