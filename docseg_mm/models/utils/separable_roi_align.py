# Copyright (c) docseg_mm contributors. All rights reserved.
"""RoI-align computed through the separability of its weights."""
from typing import Iterator, List, Sequence, Tuple, Union

import torch
from torch import Tensor
from torch.autograd import Function
from torchvision.ops import roi_align as tv_roi_align

def _axis_weights(start: Tensor, length: Tensor, size: int, bins: int,
                  grid: Tensor) -> Tensor:
    """Summed bilinear weights of one axis' sampling points per bin.

    Reproduces torchvision's CPU ``roi_align`` sampling along one axis:
    point ``i`` of bin ``p`` sits at ``start + p * b + (i + 0.5) * b /
    grid`` (``b = length / bins``); a point outside ``[-1, size]`` has no
    weight; inside, it is clamped to ``[0, size - 1]`` and splits into its
    two neighbouring pixels with the linear weights.

    Args:
        start (Tensor): ``(R, )`` RoI start on this axis (feature pixels).
        length (Tensor): ``(R, )`` RoI length.
        size (int): Feature map size on this axis.
        bins (int): Output bins on this axis.
        grid (Tensor): ``(R, )`` sampling points per bin (int).

    Returns:
        Tensor: ``(R, bins, size)``: entry ``[r, p, k]`` is the sum over
        the bin's points of the weight of pixel ``k``.
    """
    num = start.shape[0]
    dtype = start.dtype
    max_grid = max(int(grid.max()), 1) if num else 1
    bin_size = length / bins
    p = torch.arange(bins, dtype=dtype, device=start.device)
    i = torch.arange(max_grid, dtype=dtype, device=start.device)
    pos = (start[:, None, None] + p[None, :, None] * bin_size[:, None, None] +
           (i[None, None, :] + 0.5) * bin_size[:, None, None] /
           grid.to(dtype)[:, None, None])  # (R, bins, G)
    used = i[None, None, :] < grid[:, None, None]
    inside = (pos >= -1.0) & (pos <= size) & used
    pos = pos.clamp(min=0)
    low = pos.floor().long()  # pos >= 0: (int) truncation == floor
    at_end = low >= size - 1
    low = torch.where(at_end, torch.full_like(low, size - 1), low)
    high = torch.where(at_end, low, low + 1)
    pos = torch.where(at_end, low.to(dtype), pos)
    frac = pos - low.to(dtype)
    w_low = (1.0 - frac) * inside
    w_high = frac * inside
    weights = start.new_zeros((num, bins, size))
    weights.scatter_add_(2, low.view(num, bins, -1), w_low.view(num, bins,
                                                                 -1))
    weights.scatter_add_(2, high.view(num, bins, -1),
                         w_high.view(num, bins, -1))
    return weights


def roi_align_weights(rois: Tensor, height: int, width: int,
                      output_size: Tuple[int, int], spatial_scale: float,
                      sampling_ratio: int,
                      aligned: bool) -> Tuple[Tensor, Tensor]:
    """Per-RoI row and column weight matrices of ``roi_align``.

    ``roi_align(x)[r, c] = A_y[r] @ x[b_r, c] @ A_x[r].T``: the bilinear
    weight of a sampling point is a product of a row and a column weight,
    and the points of a bin form a grid, so the per-bin average factors.

    Args:
        rois (Tensor): ``(R, 5)`` ``(batch index, x1, y1, x2, y2)``.
        height, width (int): Feature map size.
        output_size (tuple[int, int]): ``(PH, PW)``.
        spatial_scale (float): Box to feature-map scale.
        sampling_ratio (int): Points per bin and axis; <= 0: adaptive
            (``ceil(roi size / bins)``).
        aligned (bool): Half-pixel offset (torchvision's ``aligned``).

    Returns:
        tuple[Tensor, Tensor]: ``A_y`` ``(R, PH, H)`` (divided by the
        points per bin) and ``A_x`` ``(R, PW, W)``.
    """
    ph, pw = output_size
    offset = 0.5 if aligned else 0.0
    x1 = rois[:, 1] * spatial_scale - offset
    y1 = rois[:, 2] * spatial_scale - offset
    roi_w = rois[:, 3] * spatial_scale - offset - x1
    roi_h = rois[:, 4] * spatial_scale - offset - y1
    if not aligned:
        roi_w = roi_w.clamp(min=1.0)
        roi_h = roi_h.clamp(min=1.0)
    if sampling_ratio > 0:
        grid_h = torch.full_like(roi_h, sampling_ratio, dtype=torch.long)
        grid_w = torch.full_like(roi_w, sampling_ratio, dtype=torch.long)
    else:
        grid_h = torch.ceil(roi_h / ph).long()
        grid_w = torch.ceil(roi_w / pw).long()
    count = (grid_h * grid_w).clamp(min=1).to(rois.dtype)
    a_y = _axis_weights(y1, roi_h, height, ph, grid_h)
    a_x = _axis_weights(x1, roi_w, width, pw, grid_w)
    return a_y / count[:, None, None], a_x


def _supports(rois: Tensor, a_y: Tensor,
              a_x: Tensor) -> Iterator[Tuple[int, int, slice, slice]]:
    """``(RoI index, image index, row slice, column slice)`` of every RoI
    with at least one sampling point on the map."""
    ry0, ry1 = _support(a_y)
    rx0, rx1 = _support(a_x)
    for r, i in enumerate(rois[:, 0].long().tolist()):
        if ry1[r] > ry0[r] and rx1[r] > rx0[r]:
            yield r, i, slice(ry0[r], ry1[r]), slice(rx0[r], rx1[r])


def _support(weights: Tensor) -> Tuple[List[int], List[int]]:
    """First and one-past-last pixel with a non-zero weight, per RoI
    (``(R, bins, size)`` weights; empty -> ``(0, 0)``)."""
    used = (weights != 0).any(1)  # (R, size)
    size = used.shape[1]
    first = used.float().argmax(1)
    last = size - used.flip(1).float().argmax(1)
    any_used = used.any(1)
    first = torch.where(any_used, first, torch.zeros_like(first))
    last = torch.where(any_used, last, torch.zeros_like(last))
    return first.tolist(), last.tolist()


class _SeparableRoIAlign(Function):
    """RoI-align through its separable weights, forward and backward: per
    RoI, ``out[r, c] = A_y[r] @ input[b_r, c] @ A_x[r].T`` on the RoI's
    support (the rows and columns with a non-zero weight). On GPU the
    forward pass is torchvision's kernel."""

    @staticmethod
    def forward(ctx, input: Tensor, rois: Tensor, output_size: Tuple[int,
                                                                       int],
                spatial_scale: float, sampling_ratio: int,
                aligned: bool) -> Tensor:
        c, h, w = input.shape[1:]
        a_y, a_x = roi_align_weights(rois.to(input.dtype), h, w,
                                     output_size, spatial_scale,
                                     sampling_ratio, aligned)
        ctx.save_for_backward(rois, a_y, a_x)
        ctx.input_shape = input.shape
        if input.is_cuda:
            return tv_roi_align(input, rois, output_size, spatial_scale,
                                sampling_ratio, aligned)
        ph, pw = output_size
        out = input.new_zeros((rois.shape[0], ph, c, pw))
        for r, i, ys, xs in _supports(rois, a_y, a_x):
            # (h, C * w) -> (PH, C * w) -> (PH * C, w) @ (w, PW)
            x = input[i, :, ys, xs].transpose(0, 1)
            t = torch.mm(a_y[r, :, ys], x.reshape(x.shape[0], -1))
            torch.mm(t.view(ph * c, -1), a_x[r, :, xs].t(),
                     out=out[r].view(ph * c, pw))
        return out.transpose(1, 2)

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        rois, a_y, a_x = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return None, None, None, None, None, None
        grad_in = grad_out.new_zeros(ctx.input_shape)
        c, ph, pw = grad_out.shape[1:]
        grad_out = grad_out.transpose(1, 2).contiguous()  # (R, PH, C, PW)
        for r, i, ys, xs in _supports(rois, a_y, a_x):
            # (PH * C, PW) @ (PW, w) -> (PH, C * w); (h, PH) @ -> (h, C, w)
            t = torch.mm(grad_out[r].view(ph * c, pw), a_x[r, :, xs])
            t = torch.mm(a_y[r, :, ys].t(), t.view(ph, -1))
            grad_in[i, :, ys, xs] += t.view(t.shape[0], c, -1).transpose(0, 1)
        return grad_in, None, None, None, None, None


def _as_rois(boxes: Union[Tensor, Sequence[Tensor]]) -> Tensor:
    if isinstance(boxes, Tensor):
        return boxes
    return torch.cat([
        torch.cat([b.new_full((b.shape[0], 1), i), b], 1)
        for i, b in enumerate(boxes)
    ])


def separable_roi_align(input: Tensor,
                        boxes: Union[Tensor, List[Tensor]],
                        output_size: Union[int, Tuple[int, int]],
                        spatial_scale: float = 1.0,
                        sampling_ratio: int = -1,
                        aligned: bool = False) -> Tensor:
    """``torchvision.ops.roi_align`` computed through its separable weights.

    ``out[r, c] = A_y[r] @ input[b_r, c] @ A_x[r].T`` (see
    :func:`roi_align_weights`): the bilinear weight of a sampling point is a
    row weight times a column weight and the points of a bin form a grid, so
    RoI-align is, per RoI, two matrix products over all channels on the
    RoI's support, forward and backward. torchvision's CPU kernel instead
    recomputes the bilinear weights of every sampling point for every
    channel (3-6x slower at DocSAM's stride-4 level). Same values and
    gradient up to float summation order. On GPU the forward pass is
    torchvision's kernel. No gradient flows to the boxes (as torchvision).

    Args:
        input (Tensor): ``(B, C, H, W)``.
        boxes (Tensor | list[Tensor]): ``(R, 5)`` rois or one ``(R_b, 4)``
            xyxy tensor per image.
        output_size (int | tuple[int, int]): Bins ``(PH, PW)``.
        spatial_scale (float): Box to feature-map scale. Defaults to 1.0.
        sampling_ratio (int): Points per bin and axis, <= 0 for adaptive.
            Defaults to -1.
        aligned (bool): Half-pixel offset. Defaults to False.

    Returns:
        Tensor: ``(R, C, PH, PW)``.
    """
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    rois = _as_rois(boxes).detach()
    return _SeparableRoIAlign.apply(input, rois, tuple(output_size),
                                    float(spatial_scale), int(sampling_ratio),
                                    bool(aligned))


__all__ = ['separable_roi_align', 'roi_align_weights']
