# Copyright (c) docseg_mm contributors. All rights reserved.
import math
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks.transformer import PatchEmbed
from mmengine.utils import to_2tuple
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.models.backbones.beit import BEiTTransformerEncoderLayer
from mmpretrain.models.utils import BEiTAttention

from docseg_mm.registry import MODELS
from ..layers.sinusoid_table import sinusoid_table


class FusedBEiTAttention(BEiTAttention):
    """``BEiTAttention`` (same parameters) computed with PyTorch's fused
    ``scaled_dot_product_attention`` when there is no relative position
    bias."""

    def forward(self, x: torch.Tensor,
                rel_pos_bias: Optional[torch.Tensor] = None) -> torch.Tensor:
        if self.relative_position_bias_table is not None or \
                rel_pos_bias is not None:
            return super().forward(x, rel_pos_bias)
        b, n, c = x.shape
        if self.bias == 'qv_bias':
            bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias),
                              self.v_bias))
            qkv = F.linear(x, self.qkv.weight, bias)
        else:
            qkv = self.qkv(x)
        q, k, v = qkv.reshape(b, n, 3, self.num_heads, -1).permute(
            2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.attn_drop.p if self.training else 0.,
            scale=self.scale)
        return self.proj_drop(self.proj(out.transpose(1, 2).reshape(b, n,
                                                                    c)))


@MODELS.register_module()
class DiGViT(BaseBackbone):
    """The ViT text encoder of DiG (ViT with 4x4 patches on 32x128 words).

    `Reading and Writing: Discriminative and Generative Modeling for
    Self-Supervised Text Recognition <https://arxiv.org/abs/2207.00193>`_.

    Patch embedding (conv, kernel = stride = ``patch_size``), no CLS token, a
    fixed 1-D sinusoid position table over the row-major patch grid (a
    non-persistent buffer, as in the original, where it is not in the state
    dict), an optional learnable ``mask_token`` that replaces masked patch
    embeddings (SimMIM style), and pre-norm BEiT blocks (mmpretrain
    ``BEiTTransformerEncoderLayer``: q/v biases, no k bias, no layer scale).

    The original MLP has no dropout after its activation; mmcv's ``FFN`` has
    one, so it is removed (it has no parameters). mmpretrain passes its
    attention dropout under a key ``BEiTAttention`` ignores, so it is given
    again. The attention is :class:`FusedBEiTAttention` (same parameters,
    PyTorch's fused kernel).

    Args:
        arch (str | dict): 'tiny' (192), 'small' (384) or 'base' (512), or a
            dict with ``embed_dims``, ``num_layers``, ``num_heads`` and
            ``feedforward_channels``. Defaults to 'small'.
        img_size (Sequence[int]): (H, W) of the input. Defaults to (32, 128).
        patch_size (int | Sequence[int]): Patch side, or (height, width)
            for rectangular patches (e.g. (32, 4): one row of column
            strips, the CPU demo's layout). Defaults to 4.
        in_channels (int): Input channels. Defaults to 3.
        drop_rate (float): Dropout after attention projection and MLP.
            Defaults to 0.
        attn_drop_rate (float): Attention-weight dropout. Defaults to 0.
        drop_path_rate (float): Stochastic depth (linear over the blocks).
            Defaults to 0.
        qkv_bias (str | bool): 'qv_bias' (DiG/BEiT), True or False.
            Defaults to 'qv_bias'.
        norm_cfg (dict): Norm layers. Defaults to LN with eps 1e-6.
        final_norm (bool): Final LayerNorm ``ln1`` (DiG's fine-tuning model
            has it, its pretraining model does not). Defaults to False.
        with_mask_token (bool): Build ``mask_token``. Defaults to True.
        out_type (str): 'raw' (B, N, C), 'featmap' (B, C, h, w) or
            'avg_featmap' (B, C). Defaults to 'raw'.
        patch_init (str): 'mocov3' (uniform with the MoCo v3 bound, used by
            DiG's pretraining model) or 'default' (PyTorch's conv init, as
            DiG's fine-tuning model). Defaults to 'mocov3'.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """
    arch_zoo = {
        'tiny': dict(embed_dims=192, num_layers=12, num_heads=3,
                     feedforward_channels=768),
        'small': dict(embed_dims=384, num_layers=12, num_heads=6,
                      feedforward_channels=1536),
        'base': dict(embed_dims=512, num_layers=12, num_heads=8,
                     feedforward_channels=2048),
    }
    OUT_TYPES = ('raw', 'featmap', 'avg_featmap')

    def __init__(self,
                 arch: Union[str, dict] = 'small',
                 img_size: Sequence[int] = (32, 128),
                 patch_size: Union[int, Sequence[int]] = 4,
                 in_channels: int = 3,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 qkv_bias: Union[str, bool] = 'qv_bias',
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 final_norm: bool = False,
                 with_mask_token: bool = True,
                 out_type: str = 'raw',
                 patch_init: str = 'mocov3',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch not in self.arch_zoo:
                raise KeyError(f'unknown arch {arch!r}, choose from '
                               f'{sorted(self.arch_zoo)}')
            arch = self.arch_zoo[arch]
        if out_type not in self.OUT_TYPES:
            raise ValueError(f'out_type must be one of {self.OUT_TYPES}')
        if patch_init not in ('mocov3', 'default'):
            raise ValueError("patch_init must be 'mocov3' or 'default'")
        self.embed_dims = arch['embed_dims']
        self.num_layers = arch['num_layers']
        self.img_size = tuple(img_size)
        self.patch_size = patch_size
        ph, pw = to_2tuple(patch_size)
        if img_size[0] % ph or img_size[1] % pw:
            raise ValueError(f'image size {tuple(img_size)} is not divisible '
                             f'by the patch size {(ph, pw)}')
        self.grid_size = (img_size[0] // ph, img_size[1] // pw)
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.out_type = out_type
        self.patch_init = patch_init

        self.patch_embed = PatchEmbed(
            in_channels=in_channels, embed_dims=self.embed_dims,
            conv_type='Conv2d', kernel_size=(ph, pw), stride=(ph, pw),
            padding=0, input_size=self.img_size)
        self.register_buffer(
            'pos_embed', sinusoid_table(self.num_patches,
                                        self.embed_dims).unsqueeze(0),
            persistent=False)
        self.mask_token = nn.Parameter(torch.zeros(
            1, 1, self.embed_dims)) if with_mask_token else None

        dpr = torch.linspace(0, drop_path_rate, self.num_layers).tolist()
        self.layers = nn.ModuleList()
        for i in range(self.num_layers):
            layer = BEiTTransformerEncoderLayer(
                embed_dims=self.embed_dims,
                num_heads=arch['num_heads'],
                feedforward_channels=arch['feedforward_channels'],
                layer_scale_init_value=0.,
                window_size=None,
                use_rel_pos_bias=False,
                drop_rate=drop_rate,
                attn_drop_rate=attn_drop_rate,
                drop_path_rate=dpr[i],
                bias=qkv_bias,
                norm_cfg=norm_cfg)
            layer.ffn.layers[0][2] = nn.Identity()  # no dropout after GELU
            layer.attn = FusedBEiTAttention(
                embed_dims=self.embed_dims, num_heads=arch['num_heads'],
                window_size=None, use_rel_pos_bias=False, bias=qkv_bias,
                attn_drop_rate=attn_drop_rate, proj_drop_rate=drop_rate)
            self.layers.append(layer)
        self.final_norm = final_norm
        if final_norm:
            self.ln1 = build_norm_layer(norm_cfg, self.embed_dims)[1]

    def init_weights(self) -> None:
        """DiG's init: xavier-uniform Linear weights, zero biases, unit
        LayerNorms, MoCo v3 patch embedding (``patch_init='mocov3'``)."""
        if isinstance(self.init_cfg, dict) and \
                self.init_cfg.get('type') == 'Pretrained':
            super().init_weights()
            return
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for layer in self.layers:
            for name in ('q_bias', 'v_bias'):
                if getattr(layer.attn, name, None) is not None:
                    nn.init.zeros_(getattr(layer.attn, name))
        if self.patch_init == 'mocov3':
            proj = self.patch_embed.projection
            ph, pw = to_2tuple(self.patch_size)
            fan = 3 * ph * pw + self.embed_dims
            bound = math.sqrt(6. / fan)
            nn.init.uniform_(proj.weight, -bound, bound)
            nn.init.zeros_(proj.bias)

    def forward(self, x: torch.Tensor,
                mask: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor]:
        """Encode images.

        Args:
            x (Tensor): (B, 3, H, W) images.
            mask (Tensor, optional): (B, h, w) or (B, N), nonzero where a
                patch is replaced by ``mask_token``. Defaults to None.

        Returns:
            tuple[Tensor]: One output in ``out_type`` layout.
        """
        x, patch_resolution = self.patch_embed(x)
        if mask is not None:
            if self.mask_token is None:
                raise ValueError('this DiGViT has no mask token')
            w = mask.flatten(1).unsqueeze(-1).type_as(x)
            x = x * (1. - w) + self.mask_token.to(x.dtype) * w
        if x.shape[1] != self.num_patches:
            raise ValueError(f'expected {self.img_size} inputs '
                             f'({self.num_patches} patches), got '
                             f'{x.shape[1]} patches')
        x = x + self.pos_embed.to(x.dtype)
        for layer in self.layers:
            x = layer(x, rel_pos_bias=None)
        if self.final_norm:
            x = self.ln1(x)
        return (self._format_output(x, patch_resolution), )

    def _format_output(self, x: torch.Tensor,
                       hw: Tuple[int, int]) -> torch.Tensor:
        if self.out_type == 'raw':
            return x
        if self.out_type == 'avg_featmap':
            return x.mean(dim=1)
        return x.transpose(1, 2).reshape(x.shape[0], -1, *hw)

    def get_layer_depth(self, param_name: str,
                        prefix: str = '') -> Tuple[int, int]:
        """Layer depth for layer-wise lr decay (as DiG: patch embedding and
        mask token 0, block k -> k + 1, everything else last).

        Args:
            param_name (str): Parameter name.
            prefix (str): Prefix of this backbone's parameters.
                Defaults to ''.

        Returns:
            tuple[int, int]: The depth and the number of depths.
        """
        num_layers = self.num_layers + 2
        if not param_name.startswith(prefix):
            return num_layers - 1, num_layers
        name = param_name[len(prefix):]
        if name in ('mask_token', 'pos_embed') or name.startswith(
                'patch_embed'):
            return 0, num_layers
        if name.startswith('layers.'):
            return int(name.split('.')[1]) + 1, num_layers
        return num_layers - 1, num_layers
