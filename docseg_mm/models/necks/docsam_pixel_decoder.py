# Copyright (c) docseg_mm contributors. All rights reserved.
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmcv.ops import MultiScaleDeformableAttention
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule, caffe2_xavier_init, xavier_init
from torch import Tensor

from docseg_mm.registry import MODELS
from ..layers.docsam_deformable_encoder import DocSAMDeformableEncoder
from ..layers.learnable_pos_embed import LearnablePositionEmbedding2d
from ..utils.resize import resize_bilinear
from .fusion_module import MultiLevelFusion


@MODELS.register_module()
class DocSAMPixelDecoder(BaseModule):
    """Pixel decoder of DocSAM, usable as an mmdet neck.

    A Mask2Former-style deformable pixel decoder with DocSAM's changes
    (`DocSAM <https://arxiv.org/abs/2504.04085>`_):

    - the ``num_encoder_levels`` coarsest backbone maps, coarsest first, are
      projected (1x1 conv + norm) and refined by a post-norm deformable
      encoder whose FFN uses SiLU;
    - the positional embedding is a learnable 2-D table pasted into each
      image's valid region of the stride-4 map
      (:class:`LearnablePositionEmbedding2d`), projected by a bias-free 1x1
      conv, resized to every encoder level and offset by ``level_embed``;
    - each finer backbone map gives one FPN level: lateral 1x1 conv + norm
      plus the upsampled coarser output, then a 3x3 conv + norm with no
      activation;
    - the mask features fuse all output levels at the size of the finest
      input (:class:`MultiLevelFusion`).

    Parameter names equal those of the released checkpoint after removing
    ``mask2former.model.pixel_level_module.decoder.`` (and
    ``pixel_level_module.feat_merge.`` maps to ``feat_merge.``).

    Args:
        in_channels (Sequence[int]): Channels of the backbone maps, finest
            first. Defaults to [128, 256, 512, 1024] (Swin-B).
        strides (Sequence[int]): Strides of the backbone maps.
            Defaults to [4, 8, 16, 32].
        feat_channels (int): Channels of all decoder features.
            Defaults to 256.
        num_encoder_levels (int): Coarsest levels fed to the deformable
            encoder. Defaults to 3.
        num_encoder_layers (int): Deformable encoder layers. Defaults to 6.
        num_heads (int): Attention heads. Defaults to 8.
        num_points (int): Sampling points per head and level.
            Defaults to 4.
        ffn_channels (int): FFN hidden channels of the encoder.
            Defaults to 1024.
        dropout (float): Dropout of the encoder. Defaults to 0.0.
        pos_table_size (int): Rows and columns of the position table.
            Defaults to 256.
        fusion_mid_channels (int): Branch channels of the fusion module.
            Defaults to 128.
        norm_cfg (dict): Config of the norm layers of all convolutions.
            Defaults to ``dict(type='GN', num_groups=32)``.
        channels_last (bool): Run the FPN levels (stride 4) and the fusion in
            channels-last memory format (faster convolutions on some
            hardware; same values up to float rounding). Defaults to False.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (128, 256, 512, 1024),
                 strides: Sequence[int] = (4, 8, 16, 32),
                 feat_channels: int = 256,
                 num_encoder_levels: int = 3,
                 num_encoder_layers: int = 6,
                 num_heads: int = 8,
                 num_points: int = 4,
                 ffn_channels: int = 1024,
                 dropout: float = 0.0,
                 pos_table_size: int = 256,
                 fusion_mid_channels: int = 128,
                 norm_cfg: ConfigType = dict(type='GN', num_groups=32),
                 channels_last: bool = False,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.channels_last = channels_last
        if len(in_channels) != len(strides):
            raise ValueError('in_channels and strides differ in length')
        if not 0 < num_encoder_levels <= len(in_channels):
            raise ValueError(f'num_encoder_levels={num_encoder_levels} is '
                             f'not in [1, {len(in_channels)}]')
        self.in_channels = list(in_channels)
        self.strides = list(strides)
        self.num_input_levels = len(in_channels)
        self.num_encoder_levels = num_encoder_levels
        self.num_fpn_levels = self.num_input_levels - num_encoder_levels
        # The position table lives on the grid of the finest input.
        self.pos_scale = 1.0 / self.strides[0]

        self.level_embed = nn.Parameter(
            torch.zeros(num_encoder_levels, feat_channels))
        self.position_embedding = LearnablePositionEmbedding2d(
            pos_table_size, pos_table_size, feat_channels)
        self.position_projector = nn.Sequential(
            nn.Conv2d(feat_channels, feat_channels, 1, bias=False))

        # index 0 = coarsest input
        self.input_projections = nn.ModuleList([
            nn.Sequential(
                nn.Conv2d(c, feat_channels, 1),
                build_norm_layer(norm_cfg, feat_channels)[1])
            for c in self.in_channels[::-1][:num_encoder_levels]
        ])
        self.encoder = DocSAMDeformableEncoder(
            num_layers=num_encoder_layers,
            layer_cfg=dict(
                embed_dims=feat_channels,
                num_heads=num_heads,
                num_levels=num_encoder_levels,
                num_points=num_points,
                ffn_channels=ffn_channels,
                dropout=dropout))

        # index 0 = coarsest FPN level (low to high resolution)
        self.lateral_convolutions = nn.ModuleList()
        self.output_convolutions = nn.ModuleList()
        for c in self.in_channels[:self.num_fpn_levels][::-1]:
            self.lateral_convolutions.append(
                nn.Sequential(
                    nn.Conv2d(c, feat_channels, 1, bias=False),
                    build_norm_layer(norm_cfg, feat_channels)[1]))
            self.output_convolutions.append(
                nn.Sequential(
                    nn.Conv2d(
                        feat_channels, feat_channels, 3, padding=1,
                        bias=False),
                    build_norm_layer(norm_cfg, feat_channels)[1]))

        self.feat_merge = MultiLevelFusion(
            in_channels=feat_channels,
            mid_channels=fusion_mid_channels,
            out_channels=feat_channels,
            num_branches=self.num_input_levels,
            norm_cfg=norm_cfg,
            channels_last=channels_last)

    def init_weights(self) -> None:
        """Initialize weights (mmdet's ``MSDeformAttnPixelDecoder`` scheme).

        With an ``init_cfg`` that is used instead. Otherwise: Xavier-uniform
        input projections, Caffe2-Xavier for the other convolutions,
        N(0, 1) level embeddings, Xavier-uniform encoder matrices followed
        by ``MultiScaleDeformableAttention.init_weights``. The position
        tables keep their ``nn.Embedding`` N(0, 1) initialisation.
        """
        if self.init_cfg is not None:
            super().init_weights()
            return
        for proj in self.input_projections:
            xavier_init(proj[0], gain=1, bias=0, distribution='uniform')
        caffe2_xavier_init(self.position_projector[0])
        convs = [*self.lateral_convolutions, *self.output_convolutions]
        convs += [*self.feat_merge.branches, self.feat_merge.fusion]
        for conv in convs:
            caffe2_xavier_init(conv[0], bias=0)
        nn.init.normal_(self.level_embed, mean=0, std=1)
        for p in self.encoder.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        for m in self.encoder.modules():
            if isinstance(m, MultiScaleDeformableAttention):
                m.init_weights()

    def forward(self,
                feats: Sequence[Tensor],
                image_bboxes: Optional[Tensor] = None
                ) -> Tuple[List[Tensor], Tensor]:
        """Decode backbone features.

        Args:
            feats (Sequence[Tensor]): Backbone maps, finest first, of shapes
                (B, in_channels[i], H_i, W_i).
            image_bboxes (Tensor, optional): Valid (unpadded) region of each
                image, (B, 4) xyxy in input pixels. Defaults to None, i.e.
                the whole input (``stride[0]`` times the finest map).

        Returns:
            tuple[list[Tensor], Tensor]:

            - multi_scale_features: ``feat_channels`` maps from coarse to
              fine: the encoder levels followed by the FPN levels
              ([s32, s16, s8, s4] by default).
            - mask_features: fusion of all levels at the size of
              ``feats[0]``, (B, feat_channels, H_0, W_0).
        """
        if len(feats) != self.num_input_levels:
            raise ValueError(f'expected {self.num_input_levels} maps, '
                             f'got {len(feats)}')
        batch_size = feats[0].shape[0]
        fine_size = tuple(feats[0].shape[-2:])
        if image_bboxes is None:
            height, width = (s * self.strides[0] for s in fine_size)
            image_bboxes = feats[0].new_tensor([0, 0, width, height])
            image_bboxes = image_bboxes.expand(batch_size, 4)
        pos = self.position_embedding(image_bboxes * self.pos_scale, fine_size)
        pos = self.position_projector(pos.to(feats[0].dtype))

        queries, query_pos, shapes = [], [], []
        encoder_inputs = list(feats[::-1][:self.num_encoder_levels])
        for level, x in enumerate(encoder_inputs):
            proj = self.input_projections[level](x)
            size = tuple(proj.shape[-2:])
            level_pos = resize_bilinear(pos, size).flatten(2).transpose(1, 2)
            queries.append(proj.flatten(2).transpose(1, 2))
            query_pos.append(level_pos + self.level_embed[level])
            shapes.append(size)
        memory = self.encoder(
            torch.cat(queries, 1), torch.cat(query_pos, 1), shapes)

        outs = []
        for chunk, (h, w) in zip(
                memory.split([h * w for h, w in shapes], dim=1), shapes):
            outs.append(chunk.transpose(1, 2).reshape(batch_size, -1, h, w))

        fpn_inputs = feats[:self.num_fpn_levels][::-1]
        for idx, x in enumerate(fpn_inputs):
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            lateral = self.lateral_convolutions[idx](x)
            merged = lateral + resize_bilinear(outs[-1], lateral.shape[-2:])
            outs.append(self.output_convolutions[idx](merged))

        mask_features = self.feat_merge(outs, fine_size)
        return outs, mask_features
