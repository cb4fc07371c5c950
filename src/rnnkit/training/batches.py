"""Deterministic batch sources for the engine.

The engine asks for batch ``index`` of ``epoch``; a source answers the same batch for the
same (seed, epoch, index) in every run, which is what makes ``--resume`` exact.
"""

from __future__ import annotations

from typing import Any, Protocol

import torch

from rnnkit.errors import DataError


class Batches(Protocol):
    """What :func:`rnnkit.training.fit` iterates: ``len`` batches per epoch, random access."""

    def __len__(self) -> int: ...

    def get(self, epoch: int, index: int) -> Any: ...


class TensorBatches:
    """Mini-batches over tensors sharing their first dimension (N, ...).

    Shuffles with a permutation seeded by ``(seed, epoch)``; the last partial batch is kept
    unless ``drop_last``. ``rank``/``world`` shard each batch (rank r gets rows r, r+world,
    ... of the global batch) for callers with their own loop; leave them at 0/1 with
    :func:`~rnnkit.training.fit`, which shards every global batch itself under DDP.
    Shapes: each tensor (N, ...) → batch rows (B, ...), B = ``batch_size``.
    """

    def __init__(self, *tensors: torch.Tensor, batch_size: int, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False, rank: int = 0, world: int = 1) -> None:
        if not tensors:
            raise DataError("TensorBatches needs at least one tensor")
        n = tensors[0].shape[0]
        if any(t.shape[0] != n for t in tensors):
            raise DataError("all tensors must share their first dimension")
        if batch_size < 1:
            raise DataError(f"batch_size must be ≥ 1, got {batch_size}")
        self.tensors, self.n = tensors, n
        self.batch_size, self.shuffle, self.seed, self.drop_last = batch_size, shuffle, seed, drop_last
        self.rank, self.world = rank, world

    def __len__(self) -> int:
        full, rest = divmod(self.n, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def _order(self, epoch: int) -> torch.Tensor:
        if not self.shuffle:
            return torch.arange(self.n)
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.n, generator=g)

    def get(self, epoch: int, index: int) -> tuple[torch.Tensor, ...]:
        idx = self._order(epoch)[index * self.batch_size:(index + 1) * self.batch_size]
        idx = idx[self.rank::self.world]
        return tuple(t[idx] for t in self.tensors)
