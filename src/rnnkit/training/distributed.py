"""Data-parallel training with ``torch.distributed`` (DDP), launched by ``torchrun``.

``torchrun --nproc-per-node W -m rnnkit <task> train ...`` starts W copies of the same
command with ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``/``MASTER_ADDR``/``MASTER_PORT`` in the
environment. :func:`rnnkit.training.fit` sees ``WORLD_SIZE > 1`` and:

1. initialises the process group (``gloo`` on CPU, ``nccl`` on CUDA, device ``cuda:LOCAL_RANK``);
2. wraps the model in :class:`~torch.nn.parallel.DistributedDataParallel` (which copies rank
   0's initial weights to every rank and averages gradients during ``backward``);
3. takes every *global* batch from the batch source and keeps rows ``rank, rank+W, ...``
   (:func:`shard_batch`; every tensor whose first dimension is the batch size is cut, other
   values pass unchanged), and weights each rank's mean loss by its share of the items so the
   averaged gradient equals the gradient of the global batch's mean loss;
4. lets only rank 0 write files and print (:func:`is_main_process`), and destroys the group.

The effective batch is therefore ``batch_size`` (global), whatever W is: W processes with
``--batch-size 64`` take the same optimizer steps as one process with ``--batch-size 64``
(up to float rounding and dropout masks, which differ per rank).
"""

from __future__ import annotations

import datetime
import logging
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from rnnkit.device import resolve_device

log = logging.getLogger(__name__)

__all__ = ["DistContext", "all_reduce_sum", "broadcast_object", "is_main_process", "setup_distributed",
           "shard_batch", "teardown_distributed", "world_size"]


def world_size() -> int:
    """``WORLD_SIZE`` from the environment (1 when not launched by torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """True on rank 0 (and when not distributed): the one process that writes and prints."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank() == 0
    return int(os.environ.get("RANK", "0")) == 0


@dataclass(frozen=True)
class DistContext:
    """This process's place in the job; ``owns_group``: we created the group, so we destroy it."""

    rank: int = 0
    world: int = 1
    device: torch.device = torch.device("cpu")
    owns_group: bool = False

    @property
    def enabled(self) -> bool:
        return self.world > 1


def setup_distributed(device_name: str) -> DistContext:
    """Resolve the device and, if ``WORLD_SIZE > 1``, join (or create) the process group."""
    if world_size() <= 1 and not (dist.is_available() and dist.is_initialized()):
        return DistContext(device=resolve_device(device_name))
    device = resolve_device(device_name)
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    owns = False
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, timeout=datetime.timedelta(minutes=30))
        owns = True
    ctx = DistContext(rank=dist.get_rank(), world=dist.get_world_size(), device=device, owns_group=owns)
    log.info("distributed: rank %d of %d on %s", ctx.rank, ctx.world, device)
    return ctx


def teardown_distributed(ctx: DistContext) -> None:
    """Destroy the process group if :func:`setup_distributed` created it."""
    if ctx.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def _batch_size(batch: Any) -> int | None:
    if isinstance(batch, torch.Tensor):
        return batch.shape[0] if batch.dim() > 0 else None
    items = batch.values() if isinstance(batch, dict) else batch if isinstance(batch, (tuple, list)) else ()
    for b in items:
        n = _batch_size(b)
        if n is not None:
            return n
    return None


def shard_batch(batch: Any, rank: int, world: int) -> Any:
    """Rows ``rank::world`` of every tensor whose first dimension is the batch size B.

    B is the first dimension of the first tensor found (depth first); 0-d tensors, tensors of
    another length and non-tensors pass unchanged. Tuples, named tuples, lists, dicts nest.
    """
    n = _batch_size(batch)
    if world <= 1 or n is None:
        return batch

    def cut(b: Any) -> Any:
        if isinstance(b, torch.Tensor):
            return b[rank::world] if b.dim() > 0 and b.shape[0] == n else b
        if isinstance(b, tuple) and hasattr(b, "_fields"):
            return type(b)(*(cut(x) for x in b))
        if isinstance(b, (tuple, list)):
            return type(b)(cut(x) for x in b)
        if isinstance(b, dict):
            return {k: cut(v) for k, v in b.items()}
        return b

    return cut(batch)


def all_reduce_sum(value: float, ctx: DistContext) -> float:
    """Sum a Python number over all ranks (identity when not distributed)."""
    if not ctx.enabled:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=ctx.device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return float(t.item())


def broadcast_object(obj: Any, ctx: DistContext) -> Any:
    """Rank 0's ``obj`` on every rank (keeps early-stopping decisions identical)."""
    if not ctx.enabled:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]
