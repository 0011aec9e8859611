# Copyright (c) docseg_mm contributors. All rights reserved.
"""The 1-D sinusoid position table of "Attention is all you need"."""
import torch


def sinusoid_table(num_positions: int, channels: int) -> torch.Tensor:
    """The (num_positions, channels) sin/cos table.

    ``table[p, j] = sin(p / 10000^(2*(j//2)/channels))`` for even ``j`` and
    the cosine for odd ``j``. Computed in float64 (as DiG's encoder table,
    which uses numpy) and returned as float32.

    Args:
        num_positions (int): Number of positions.
        channels (int): Number of channels.

    Returns:
        Tensor: The table, float32.
    """
    pos = torch.arange(num_positions, dtype=torch.float64).unsqueeze(1)
    j = torch.arange(channels, dtype=torch.float64)
    angle = pos / torch.pow(10000.0, 2 * torch.div(j, 2, rounding_mode='floor')
                            / channels)
    table = angle.clone()
    table[:, 0::2] = torch.sin(angle[:, 0::2])
    table[:, 1::2] = torch.cos(angle[:, 1::2])
    return table.float()
