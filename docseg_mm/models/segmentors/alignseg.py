# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.structures import SegDataSample

from docseg_mm.registry import MODELS

EMBEDDING_SOURCES = (None, 'backbone', 'assignment')


@MODELS.register_module()
class AlignSeg(BaseSegmentor):
    """AlignSeg: end-to-end self-supervised semantic segmentation.

    `Rethinking Self-Supervised Semantic Segmentation: Achieving End-to-End
    Segmentation <https://doi.org/10.1109/TPAMI.2024.3432326>`_ (TPAMI 2024).

    A frozen ViT (:class:`CLSAttentionViT`) gives patch tokens and the last
    CLS attention; :class:`AlignSegHead` adapts learnable prototypes to each
    crop and assigns tokens by cosine-softmax. Training takes 1 global + N
    local crops (:class:`AlignSegMultiCrop`) and needs no labels; prediction
    gives per-pixel **cluster ids** (``pred_sem_seg``, not class ids: the
    metrics match clusters to classes).

    Args:
        backbone (dict): Frozen backbone returning ``(tokens (B, C, h, w),
            cls attention (B, heads, h * w) or None)``.
        decode_head (dict): :class:`AlignSegHead`.
        fg_hint (dict, optional): Foreground hint module
            (:class:`CLSAttentionHint`, :class:`SegMapHint`); None uses every
            token pair. Defaults to ``CLSAttentionHint()``.
        faithful_crop_pairing (bool): Reproduce the original's mis-pairing of
            local crops with images: the backbone returns local tokens
            crop-major ``(crop, sample)`` but the original reshapes them as
            ``(sample, crop)``, so for batch > 1 the global crop of image
            ``b`` meets local crops of other images (the foreground hints
            stay correctly paired). Defaults to False (correct pairing).
        train_cfg (dict, optional): Unused. Defaults to None.
        test_cfg (dict, optional): ``embeddings``: token-grid embeddings
            stored in the predictions for :class:`KMeansClusterMetric`:
            ``'backbone'`` (the frozen tokens, ``(C, h, w)``) or
            ``'assignment'`` (cosine to the adapted prototypes,
            ``(K, h, w)``) as ``seg_embeddings``, or a dict ``{field:
            source}`` for several fields. Defaults to None (not stored).
        data_preprocessor (dict, optional): Defaults to
            :class:`MultiCropSegDataPreProcessor` with ImageNet statistics.
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 decode_head: dict,
                 fg_hint: Optional[dict] = dict(type='CLSAttentionHint'),
                 faithful_crop_pairing: bool = False,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='MultiCropSegDataPreProcessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                bgr_to_rgb=True)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.decode_head = MODELS.build(decode_head)
        self.fg_hint = MODELS.build(fg_hint) if fg_hint else None
        self.faithful_crop_pairing = faithful_crop_pairing
        self.train_cfg = train_cfg or {}
        self.test_cfg = dict(test_cfg or {})
        self._embedding_fields()  # validate
        self.align_corners = False

    def _embedding_fields(self) -> Dict[str, str]:
        emb = self.test_cfg.get('embeddings')
        fields = emb if isinstance(emb, dict) else (
            {} if emb is None else {'seg_embeddings': emb})
        for source in fields.values():
            if source not in EMBEDDING_SOURCES[1:]:
                raise ValueError('test_cfg.embeddings sources must be one of '
                                 f'{EMBEDDING_SOURCES[1:]}, got {source!r}')
        return dict(fields)

    @torch.no_grad()
    def extract_feat(self, inputs: torch.Tensor
                     ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Frozen backbone: tokens ``(B, C, h, w)`` and CLS attention."""
        out = self.backbone(inputs)
        if isinstance(out, (tuple, list)) and len(out) == 2 and \
                torch.is_tensor(out[0]) and out[0].dim() == 4:
            return out[0], out[1]
        raise TypeError('the AlignSeg backbone must return (tokens (B, C, '
                        'h, w), attention or None)')

    def _crop_features(self, crops: Sequence[torch.Tensor]):
        """Backbone over all crops as the original: the global crop in one
        pass, then the local crops concatenated (one pass per crop size)."""
        tokens, attns, grids = [], [], []
        start = 0
        while start < len(crops):
            end = start + 1
            while start > 0 and end < len(crops) and \
                    crops[end].shape == crops[start].shape:
                end += 1
            feats, attn = self.extract_feat(torch.cat(crops[start:end]))
            grid = tuple(feats.shape[-2:])
            n = end - start
            tok = feats.flatten(2).transpose(1, 2)  # (n*B, N, C) crop-major
            tokens.append((tok, n))
            attns += [None] * n if attn is None else list(attn.chunk(n))
            grids += [grid] * n
            start = end
        return tokens, attns, grids

    def _split_crops(self, tokens: List[Tuple[torch.Tensor, int]],
                     batch_size: int) -> List[torch.Tensor]:
        out = []
        for i, (tok, n) in enumerate(tokens):
            if self.faithful_crop_pairing and i > 0 and n > 1:
                # the original: (n*B, N, C) read as (B, n, N, C)
                tok = tok.reshape(batch_size, n, *tok.shape[1:])
                out += list(tok.unbind(1))
            else:
                out += list(tok.chunk(n))
        return out

    def _hints(self, attns: List[Optional[torch.Tensor]],
               grids: List[tuple], data_samples: Sequence
               ) -> List[torch.Tensor]:
        b = len(data_samples)
        maps = [s.get('crop_seg_maps') for s in data_samples]
        hints = []
        for i, (attn, grid) in enumerate(zip(attns, grids)):
            n_tok = grid[0] * grid[1]
            if self.fg_hint is None:
                hints.append(torch.ones(b, n_tok, dtype=torch.bool,
                                        device=self.decode_head.queries.
                                        weight.device))
                continue
            seg = None
            if all(m is not None for m in maps):
                seg = torch.stack([torch.as_tensor(m[i]) for m in maps])
                seg = seg.to(self.decode_head.queries.weight.device)
            fg = self.fg_hint(grid=grid, attentions=attn, seg_maps=seg)
            hints.append(fg.reshape(b, n_tok))
        return hints

    def loss(self, inputs: List[torch.Tensor],
             data_samples: Sequence) -> Dict[str, torch.Tensor]:
        """Losses of a multi-crop batch.

        Args:
            inputs (list[Tensor]): Per crop ``(B, 3, S, S)``; crop 0 global.
            data_samples (Sequence): Per image; ``crop_seg_maps`` for
                :class:`SegMapHint`.

        Returns:
            dict: ``loss_corr``, ``loss_query``, ``acc_query``.
        """
        if torch.is_tensor(inputs):
            raise TypeError('AlignSeg trains on multi-crop inputs (a list of '
                            'crops): use AlignSegMultiCrop in the pipeline')
        tokens, attns, grids = self._crop_features(inputs)
        crops = self._split_crops(tokens, inputs[0].shape[0])
        hints = self._hints(attns, grids, data_samples)
        return self.decode_head.loss_by_feat(crops, hints)

    def _metas(self, inputs: torch.Tensor,
               data_samples: Optional[Sequence]) -> List[dict]:
        if data_samples is None:
            shape = tuple(inputs.shape[-2:])
            return [dict(ori_shape=shape, img_shape=shape,
                         batch_input_shape=shape)] * inputs.shape[0]
        metas = []
        for s in data_samples:
            meta = dict(s.metainfo)
            meta['batch_input_shape'] = tuple(inputs.shape[-2:])
            meta.setdefault('img_shape', meta['batch_input_shape'])
            meta.setdefault('ori_shape', meta['img_shape'])
            metas.append(meta)
        return metas

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[Sequence] = None
                ) -> List[SegDataSample]:
        """Per-pixel cluster ids.

        Returns:
            list[SegDataSample]: ``pred_sem_seg`` (cluster ids at the
            original size), ``seg_logits`` (the soft assignment) and, with
            ``test_cfg.embeddings``, ``seg_embeddings`` at the token grid.
        """
        feats, _ = self.extract_feat(inputs)
        metas = self._metas(inputs, data_samples)
        results = self.decode_head.predict(feats, metas)
        if data_samples is None:
            data_samples = [SegDataSample() for _ in results]
        fields = self._embedding_fields()
        for i, (sample, res) in enumerate(zip(data_samples, results)):
            sample.set_data(dict(
                seg_logits=PixelData(data=res['seg_probs']),
                pred_sem_seg=PixelData(data=res['pred'])))
            for field, source in fields.items():
                emb = feats[i] if source == 'backbone' else res['assignment']
                sample.set_data({field: PixelData(
                    data=self._valid_grid(emb, metas[i]))})
        return data_samples

    @staticmethod
    def _valid_grid(emb: torch.Tensor, meta: dict) -> torch.Tensor:
        """Token cells that cover the unpadded image."""
        pad_h, pad_w = meta['batch_input_shape']
        img_h, img_w = meta['img_shape'][:2]
        h, w = emb.shape[-2:]
        keep_h = -(-img_h * h // pad_h)
        keep_w = -(-img_w * w // pad_w)
        return emb[:, :keep_h, :keep_w]

    def encode_decode(self, inputs: torch.Tensor,
                      batch_img_metas: List[dict]) -> torch.Tensor:
        """Soft assignment ``(B, K, H, W)`` at the input size."""
        feats, _ = self.extract_feat(inputs)
        shape = tuple(inputs.shape[-2:])
        metas = [dict(ori_shape=shape, img_shape=shape,
                      batch_input_shape=shape)] * inputs.shape[0]
        return torch.stack(
            [r['seg_probs'] for r in self.decode_head.predict(feats, metas)])

    def _forward(self, inputs: torch.Tensor,
                 data_samples: Optional[Sequence] = None) -> torch.Tensor:
        """Cosine assignment ``(B, K, h, w)`` at the token grid."""
        feats, _ = self.extract_feat(inputs)
        b, c, h, w = feats.shape
        tokens = self.decode_head.center(feats.flatten(2).transpose(1, 2))
        cos = self.decode_head.assignment(tokens, self.decode_head(tokens))
        return cos.transpose(1, 2).reshape(b, -1, h, w)
