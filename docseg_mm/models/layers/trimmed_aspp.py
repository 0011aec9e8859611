# Copyright (c) docseg_mm contributors. All rights reserved.
"""ASPP that skips the kernel taps which only ever read zero padding."""
from typing import List

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.aspp_head import ASPPModule
from torch import Tensor


def kept_taps(kernel: int, dilation: int, padding: int, size: int) -> int:
    """Half-width of the kernel taps a 'same' convolution can use.

    In a stride-1 convolution with an odd ``kernel`` and
    ``padding == dilation * (kernel // 2)`` (output size = input size), the
    tap at offset ``o = (i - kernel // 2) * dilation`` reads, for every
    output position, a padded zero when ``|o| >= size``. The taps with
    ``|i - kernel // 2| <= m`` are kept, ``m = min(kernel // 2,
    (size - 1) // dilation)``.

    Args:
        kernel (int): Kernel size along the axis.
        dilation (int): Dilation along the axis.
        padding (int): Zero padding along the axis.
        size (int): Input size along the axis.

    Returns:
        int: ``m``, or ``kernel // 2`` (all taps) when the convolution is
        not a same-size one.
    """
    half = kernel // 2
    if kernel % 2 == 0 or padding != dilation * half or size < 1:
        return half
    return min(half, (size - 1) // dilation)


def trimmed_conv2d(conv: nn.Conv2d, x: Tensor) -> Tensor:
    """``conv(x)`` without the kernel rows / columns that only read padding.

    Exactly the same result (the dropped taps multiply zeros; their weight
    gradients are zero either way) at a fraction of the cost when the
    dilation reaches beyond the feature map, e.g. ASPP rates 12-36 on
    small maps.

    Args:
        conv (nn.Conv2d): A convolution with zero padding.
        x (Tensor): ``(B, C, H, W)`` input.

    Returns:
        Tensor: The convolution's output.
    """
    if conv.padding_mode != 'zeros' or tuple(conv.stride) != (1, 1) or \
            isinstance(conv.padding, str):
        return conv(x)
    (kh, kw), (dh, dw) = conv.kernel_size, conv.dilation
    ph, pw = conv.padding
    mh = kept_taps(kh, dh, ph, x.shape[-2])
    mw = kept_taps(kw, dw, pw, x.shape[-1])
    if (mh, mw) == (kh // 2, kw // 2):
        return conv(x)
    weight = conv.weight[:, :, kh // 2 - mh:kh // 2 + mh + 1,
                         kw // 2 - mw:kw // 2 + mw + 1]
    return F.conv2d(x, weight, conv.bias, 1, (mh * dh, mw * dw),
                    conv.dilation, conv.groups)


def _conv_module_forward(module: ConvModule, x: Tensor) -> Tensor:
    if tuple(module.order) != ('conv', 'norm', 'act') or \
            module.with_explicit_padding or \
            type(module.conv) is not nn.Conv2d:
        return module(x)
    x = trimmed_conv2d(module.conv, x)
    if module.with_norm:
        x = module.norm(x)
    if module.with_activation:
        x = module.activate(x)
    return x


class TrimmedASPPModule(ASPPModule):
    """mmseg's ``ASPPModule`` (same parameters and state-dict keys) whose
    dilated branches skip the taps that only read zero padding
    (:func:`trimmed_conv2d`): with rates (12, 24, 36) on a 16 x 20 map the
    rate-24 and -36 branches are 1x1 convolutions in effect, on an 8 x 10
    map (a 0.5x view) all three are. The outputs equal the plain module's.
    """

    def forward(self, x: Tensor) -> List[Tensor]:
        """One output per branch, as ``ASPPModule``."""
        return [_conv_module_forward(m, x) for m in self]
