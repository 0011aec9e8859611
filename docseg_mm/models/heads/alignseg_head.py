# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from docseg_mm.registry import MODELS
from ..layers.alignseg_decoder import AlignSegDecoder

UPSAMPLE_MODES = ('bilinear', 'nearest')


@MODELS.register_module()
class AlignSegHead(BaseModule):
    """AlignSeg head: learnable prototypes adapted to each crop, cosine
    assignment, and the two training losses.

    ``num_queries`` prototypes (``nn.Embedding``, N(0, 1) init; by the
    original's convention the last one is the "others" prototype) are
    decoded against a crop's tokens by :class:`AlignSegDecoder`; a token's
    assignment is ``softmax_K(cos(token, adapted query))`` and its cluster
    the argmax.

    Args:
        in_channels (int): Token width. Defaults to 384.
        num_queries (int): Prototypes (clusters). Defaults to 5.
        num_layers (int): Decoder depth. Defaults to 1.
        num_heads (int): Decoder attention heads. Defaults to 3.
        feedforward_channels (int): Decoder FFN width. Defaults to 768.
        faithful (bool): The original's multi-layer decoding (see
            :class:`AlignSegDecoder`). Defaults to False.
        loss_corr (dict): Correlation alignment loss. Defaults to
            ``CorrelationAlignmentLoss(negative_pressure=0.11,
            loss_weight=0.15)``.
        loss_query (dict): Query alignment loss. Defaults to
            ``QueryContrastiveLoss(temperature=1.0)``.
        upsample (str): Prediction: ``'bilinear'`` upsamples the soft
            assignment before the argmax (the original's visualisation);
            ``'nearest'`` upsamples the token argmax (its evaluation path).
            Defaults to ``'bilinear'``.
        token_centering (bool): Not in the original. Subtract the running
            mean of the frozen tokens (the exact mean of every training
            token seen, a buffer like BatchNorm's ``running_mean``) before
            the head. For backbones whose tokens share a dominant direction
            (cosines of unrelated tokens near 1, e.g. a briefly trained
            ViT), the cosine assignments are otherwise nearly uniform and
            the losses give little signal; DINO does not need it.
            Defaults to False.
        loss_balance (dict, optional): Not in the original. A
            cluster-balance term (e.g. :class:`ClusterBalanceLoss`) on the
            foreground tokens of every crop, averaged over the crops and
            returned as ``loss_balance``. None (the original) adds nothing.
            Defaults to None.
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 in_channels: int = 384,
                 num_queries: int = 5,
                 num_layers: int = 1,
                 num_heads: int = 3,
                 feedforward_channels: int = 768,
                 faithful: bool = False,
                 loss_corr: dict = dict(
                     type='CorrelationAlignmentLoss',
                     negative_pressure=0.11,
                     loss_weight=0.15),
                 loss_query: dict = dict(
                     type='QueryContrastiveLoss', temperature=1.0),
                 upsample: str = 'bilinear',
                 token_centering: bool = False,
                 loss_balance: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if upsample not in UPSAMPLE_MODES:
            raise ValueError(f'upsample must be one of {UPSAMPLE_MODES}, '
                             f'got {upsample!r}')
        self.num_queries = num_queries
        self.queries = nn.Embedding(num_queries, in_channels)
        self.decoder = AlignSegDecoder(
            num_layers=num_layers,
            embed_dims=in_channels,
            num_heads=num_heads,
            feedforward_channels=feedforward_channels,
            faithful=faithful)
        self.loss_corr = MODELS.build(loss_corr)
        self.loss_query = MODELS.build(loss_query)
        self.loss_balance = MODELS.build(loss_balance) \
            if loss_balance is not None else None
        self.upsample = upsample
        self.token_centering = token_centering
        if token_centering:
            self.register_buffer('token_mean', torch.zeros(in_channels))
            self.register_buffer('num_tokens', torch.zeros((),
                                                           dtype=torch.long))

    def init_weights(self) -> None:
        """N(0, 1) prototypes (``nn.Embedding``'s default, untouched by the
        original's init) and the decoder's own init."""
        super().init_weights()
        nn.init.normal_(self.queries.weight)
        self.decoder.init_weights()

    def center(self, tokens: torch.Tensor) -> torch.Tensor:
        """Subtract the running token mean (``token_centering``); in
        training mode the mean is updated with ``tokens`` first.

        Args:
            tokens (Tensor): ``(..., C)``.

        Returns:
            Tensor: Same shape.
        """
        if not self.token_centering:
            return tokens
        if self.training:
            with torch.no_grad():
                flat = tokens.reshape(-1, tokens.shape[-1])
                total = self.num_tokens + flat.shape[0]
                self.token_mean += (flat.float().mean(0) - self.token_mean
                                    ) * (flat.shape[0] / total)
                self.num_tokens.copy_(total)
        return tokens - self.token_mean.to(tokens.dtype)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Adapt the prototypes to one crop.

        Args:
            tokens (Tensor): ``(B, N, C)``.

        Returns:
            Tensor: ``(B, K, C)`` adapted queries.
        """
        queries = self.queries.weight[None].expand(tokens.shape[0], -1, -1)
        return self.decoder(queries, tokens)

    @staticmethod
    def assignment(tokens: torch.Tensor,
                   queries: torch.Tensor) -> torch.Tensor:
        """Cosine similarity of every token to every adapted query.

        Args:
            tokens (Tensor): ``(B, N, C)``.
            queries (Tensor): ``(B, K, C)``.

        Returns:
            Tensor: ``(B, N, K)``.
        """
        return torch.einsum('bnc,bkc->bnk',
                            F.normalize(tokens, dim=-1, eps=1e-10),
                            F.normalize(queries, dim=-1, eps=1e-10))

    def loss_by_feat(self, tokens: Sequence[torch.Tensor],
                     foreground: Sequence[torch.Tensor]
                     ) -> Dict[str, torch.Tensor]:
        """Losses of one multi-crop batch.

        Args:
            tokens (Sequence[Tensor]): Per crop ``(B, N_i, C)``; crop 0 is
                the global crop, the others local crops. Sample ``b`` of
                every crop must come from the same image (see
                ``AlignSeg.faithful_crop_pairing``).
            foreground (Sequence[Tensor]): Per crop ``(B, N_i)`` bool hints.

        Returns:
            dict: ``loss_corr``, ``loss_query`` (each averaged over the local
            crops), ``acc_query`` (not a loss) and, with ``loss_balance``,
            ``loss_balance`` (averaged over all crops).
        """
        if len(tokens) < 2:
            raise ValueError('AlignSeg needs a global and >= 1 local crop')
        tokens = [self.center(t) for t in tokens]
        queries = [self(t) for t in tokens]
        n_local = len(tokens) - 1
        loss_corr = loss_query = acc = 0.
        for i in range(1, len(tokens)):
            loss_corr = loss_corr + self.loss_corr(
                tokens[0], tokens[i], queries[0], queries[i], foreground[0],
                foreground[i])
            q_loss, q_acc = self.loss_query(queries[0], queries[i])
            loss_query = loss_query + q_loss
            acc = acc + q_acc
        losses = dict(
            loss_corr=loss_corr / n_local,
            loss_query=loss_query / n_local,
            acc_query=acc / n_local)
        if self.loss_balance is not None:
            losses['loss_balance'] = sum(
                self.loss_balance(self.assignment(t, q), fg)
                for t, q, fg in zip(tokens, queries, foreground)) / len(tokens)
        return losses

    def predict(self, feats: torch.Tensor,
                batch_img_metas: List[dict]) -> List[Dict[str, torch.Tensor]]:
        """Cluster maps of a test batch.

        Args:
            feats (Tensor): ``(B, C, h, w)`` token map.
            batch_img_metas (list[dict]): With ``ori_shape`` and optionally
                ``img_shape`` (valid part of a padded input).

        Returns:
            list[dict]: See :meth:`predict_by_feat`, plus ``assignment``:
            the ``(K, h, w)`` cosine map at the token grid.
        """
        b, c, h, w = feats.shape
        tokens = self.center(feats.flatten(2).transpose(1, 2))
        cos = self.assignment(tokens, self(tokens))  # (B, N, K)
        cos = cos.transpose(1, 2).reshape(b, -1, h, w)
        results = self.predict_by_feat(cos.softmax(dim=1), batch_img_metas)
        for res, c_map in zip(results, cos):
            res['assignment'] = c_map
        return results

    def predict_by_feat(self, probs: torch.Tensor,
                        batch_img_metas: List[dict]
                        ) -> List[Dict[str, torch.Tensor]]:
        """Upsample token-grid probabilities to each original image.

        The grid covers the (padded) network input, ``stride = input /
        grid``; the part under ``img_shape`` is kept and resized to
        ``ori_shape``.

        Args:
            probs (Tensor): ``(B, K, h, w)`` soft assignment.
            batch_img_metas (list[dict]): Image metas.

        Returns:
            list[dict]: Per image ``seg_probs`` ``(K, H, W)`` and
            ``pred`` ``(1, H, W)`` long cluster ids.
        """
        results = []
        for p, meta in zip(probs, batch_img_metas):
            pad_h, pad_w = meta.get('batch_input_shape',
                                    meta.get('img_shape', meta['ori_shape']))
            img_h, img_w = meta.get('img_shape', (pad_h, pad_w))[:2]
            mode = dict(mode='bilinear', align_corners=False) \
                if self.upsample == 'bilinear' else dict(mode='nearest')
            p = F.interpolate(p[None], size=(pad_h, pad_w), **mode)
            p = p[:, :, :img_h, :img_w]
            p = F.interpolate(p, size=tuple(meta['ori_shape'][:2]), **mode)[0]
            results.append(dict(seg_probs=p, pred=p.argmax(0, keepdim=True)))
        return results
