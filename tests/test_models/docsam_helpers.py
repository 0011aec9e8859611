# Copyright (c) docseg_mm contributors. All rights reserved.
"""Shared pieces of the DocSAM model tests."""
import hashlib
from typing import Sequence, Tuple

import pytest
import torch
from torch import nn


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny ops are much faster single-threaded on a shared 2-core CPU."""
    num = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(num)


class HashNameEncoder(nn.Module):
    """Deterministic, parameter-free class-name encoder for tests.

    ``forward(class_names) -> ((B, K, dims) embeddings, (B, K) padding)``;
    the embedding of a name only depends on the name (a hash seeds it).

    Args:
        dims (int): Embedding size.
    """

    def __init__(self, dims: int) -> None:
        super().__init__()
        self.dims = dims

    def embed(self, name: str) -> torch.Tensor:
        seed = int(hashlib.md5(name.encode()).hexdigest()[:8], 16)
        return torch.randn(
            self.dims, generator=torch.Generator().manual_seed(seed))

    def forward(
        self, class_names: Sequence[Sequence[str]]
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        k = max(len(n) for n in class_names)
        emb = torch.zeros(len(class_names), k, self.dims)
        pad = torch.ones(len(class_names), k, dtype=torch.bool)
        for b, names in enumerate(class_names):
            for i, n in enumerate(names):
                emb[b, i] = self.embed(n)
                pad[b, i] = False
        return emb, pad
