"""``fit``: the one training loop every task uses.

A task supplies a model, a ``step`` function that computes the loss of one batch, a
deterministic batch source and a :class:`TrainConfig`; the engine owns the optimizer,
schedule, gradient clipping (the lecture's algorithm, ``rnnkit.nn.clip_grad_norm``),
validation, early stopping, progress and ``metrics.csv``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from rnnkit.device import resolve_device
from rnnkit.training.batches import Batches
from rnnkit.training.config import TrainConfig

log = logging.getLogger(__name__)


class StepOutput(NamedTuple):
    """A step's result: the mean loss over the batch and how many items it covered."""

    loss: torch.Tensor
    count: int


StepFn = Callable[[nn.Module, Any], StepOutput]
ValidateFn = Callable[[nn.Module], dict[str, float]]


@dataclass
class FitResult:
    """History per epoch (dicts of metrics), the best epoch's metrics, steps and seconds."""

    history: list[dict[str, float]] = field(default_factory=list)
    best: dict[str, float] = field(default_factory=dict)
    steps: int = 0
    seconds: float = 0.0


def to_device(batch: Any, device: torch.device) -> Any:
    """Move every tensor in a (nested) tuple/list/dict batch to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(b, device) for b in batch))
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


def make_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def fit(model: nn.Module, step: StepFn, train: Batches, cfg: TrainConfig, *,
        validate: ValidateFn | None = None, monitor: str = "loss", mode: str = "min",
        out: Path | None = None) -> FitResult:
    """Train ``model`` in place; returns the history. Restores the best weights if validating.

    ``validate(model)`` returns metrics after each epoch; ``monitor``/``mode`` pick the one
    that drives early stopping, the plateau schedule and best-weights selection.
    """
    torch.manual_seed(cfg.seed)
    device = resolve_device(cfg.device)
    model.to(device)
    opt = make_optimizer(model.parameters(), cfg)
    res, t0, best_state, bad = FitResult(), time.perf_counter(), None, 0
    sign = 1.0 if mode == "min" else -1.0
    for epoch in range(cfg.epochs if cfg.max_steps is None else 10**9):
        model.train()
        tot, cnt = 0.0, 0
        for i in range(len(train)):
            batch = to_device(train.get(epoch, i), device)
            out_ = step(model, batch)
            opt.zero_grad(set_to_none=True)
            out_.loss.backward()
            if cfg.clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            opt.step()
            tot += float(out_.loss.detach()) * out_.count
            cnt += out_.count
            res.steps += 1
            if cfg.max_steps is not None and res.steps >= cfg.max_steps:
                break
        row = {"epoch": epoch + 1, "train_loss": tot / max(cnt, 1)}
        if validate is not None:
            model.eval()
            with torch.no_grad():
                row.update({f"val_{k}": v for k, v in validate(model).items()})
            key = f"val_{monitor}"
            cur = sign * row[key]
            if not res.best or cur < sign * res.best[key]:
                res.best, bad = dict(row), 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                bad += 1
        res.history.append(row)
        log.info("epoch %d %s", epoch + 1, row)
        if cfg.max_steps is not None and res.steps >= cfg.max_steps:
            break
        if cfg.patience is not None and bad > cfg.patience:
            break
        if not math.isfinite(row["train_loss"]):
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    res.seconds = time.perf_counter() - t0
    return res
