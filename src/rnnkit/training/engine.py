"""``fit``: the one training loop every task uses.

A task supplies a model, a ``step`` function that computes the loss of one batch, a
deterministic batch source and a :class:`TrainConfig`; the engine owns the optimizer,
schedule, gradient clipping (the lecture's algorithm, ``rnnkit.nn.clip_grad_norm``), mixed
precision, validation, early stopping, best weights, progress bars, ``metrics.csv``,
checkpoints with exact resume, the carried TBPTT state and data-parallel training.

One optimizer step on batch (epoch e, index i)::

    batch  = shard(train.get(e, i), rank, world)          # rows rank::world of the global batch
    L, n   = step(model, batch)                           # mean loss over n items (StepOutput)
    ∇θ     = ∇ (L · n·W / Σ_ranks n)                      # DDP averages → ∇ of the global mean
    if ‖∇θ‖ ≥ clip: ∇θ ← clip · ∇θ / ‖∇θ‖
    θ      ← optimizer(θ, ∇θ, η(e, step))
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

import rnnkit.nn as rnnkit_nn
from rnnkit.config import config_to_dict
from rnnkit.errors import ConfigError
from rnnkit.training import distributed as dd
from rnnkit.training.batches import Batches
from rnnkit.training.checkpoint import load_state_into
from rnnkit.training.config import TrainConfig
from rnnkit.training.optim import make_optimizer
from rnnkit.training.progress import MetricsLog, Progress, progress_enabled
from rnnkit.training.resume import load_checkpoint, save_checkpoint
from rnnkit.training.rng import rng_state, seed_everything, set_rng_state
from rnnkit.training.schedules import Schedule
from rnnkit.training.tbptt import CarriedState

log = logging.getLogger(__name__)

__all__ = ["FitResult", "StepOutput", "fit", "make_optimizer", "to_device"]


class StepOutput(NamedTuple):
    """A step's result: the mean loss over the batch and how many items it covered."""

    loss: torch.Tensor
    count: int


StepFn = Callable[[nn.Module, Any], StepOutput]
ValidateFn = Callable[[nn.Module], dict[str, float]]


@dataclass
class FitResult:
    """History per epoch (dicts of metrics), the best epoch's metrics, steps and seconds;
    ``rows`` is everything written to ``metrics.csv`` (step rows every ``log_every`` steps and
    epoch rows, each with ``kind``)."""

    history: list[dict[str, float]] = field(default_factory=list)
    best: dict[str, float] = field(default_factory=dict)
    steps: int = 0
    seconds: float = 0.0
    stopped_early: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)


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


@dataclass
class _Loop:
    """The position and bookkeeping of a run: everything a checkpoint holds besides modules."""

    epoch: int = 0  # 0-based epoch in progress
    index: int = 0  # next batch of that epoch
    steps: int = 0
    tot: float = 0.0  # Σ loss·count over this epoch so far (global)
    cnt: float = 0.0
    bad: int = 0
    best: dict[str, float] = field(default_factory=dict)
    done: bool = False
    stopped_early: bool = False
    lr: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class _Run:
    """Everything one ``fit`` call works with (built once, passed to the helpers)."""

    model: nn.Module
    net: nn.Module  # the module the step calls: the model, or its DDP wrapper
    step: StepFn
    train: Batches
    cfg: TrainConfig
    ctx: dd.DistContext
    opt: torch.optim.Optimizer
    sched: Schedule
    scaler: Any
    amp_dtype: torch.dtype | None  # autocast dtype: float16 on CUDA, bfloat16 on CPU, None = off
    log: MetricsLog
    out: Path | None
    carried: CarriedState | None
    validate: ValidateFn | None
    key: str
    sign: float
    run_config: dict[str, Any] | None
    loop: _Loop = field(default_factory=_Loop)
    best_state: dict[str, torch.Tensor] | None = None
    started: float = field(default_factory=time.perf_counter)

    @property
    def main(self) -> bool:
        return self.ctx.rank == 0


def _clip(model: nn.Module, max_norm: float) -> None:
    """The lecture's clipping: if ‖g‖ ≥ max_norm then g ← max_norm·g/‖g‖ (global norm)."""
    rnnkit_nn.clip_grad_norm(model.parameters(), max_norm)


def _autocast(run: _Run) -> contextlib.AbstractContextManager:
    if run.amp_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=run.ctx.device.type, dtype=run.amp_dtype)


def _train_step(run: _Run, batch: Any) -> tuple[float, float]:
    """One optimizer step; returns the global (Σ loss·count, Σ count) of the batch."""
    batch = to_device(dd.shard_batch(batch, run.ctx.rank, run.ctx.world), run.ctx.device)
    with _autocast(run):
        res = run.step(run.net, batch)
    loss_sum, count = float(res.loss.detach()) * res.count, float(res.count)
    if run.ctx.enabled:
        both = torch.tensor([loss_sum, count], dtype=torch.float64, device=run.ctx.device)
        torch.distributed.all_reduce(both)
        g_loss, g_count = float(both[0]), float(both[1])
        scaled = res.loss * (count * run.ctx.world / max(g_count, 1.0))
    else:
        g_loss, g_count, scaled = loss_sum, count, res.loss
    run.loop.lr = run.sched.lr(run.loop.epoch + 1, run.loop.steps)
    for group in run.opt.param_groups:
        group["lr"] = run.loop.lr
    run.opt.zero_grad(set_to_none=True)
    (run.scaler.scale(scaled) if run.scaler is not None else scaled).backward()
    if run.scaler is not None:
        run.scaler.unscale_(run.opt)
    if run.cfg.clip is not None:
        _clip(run.model, run.cfg.clip)
    if run.scaler is not None:
        run.scaler.step(run.opt)
        run.scaler.update()
    else:
        run.opt.step()
    return g_loss, g_count


def _state(run: _Run) -> dict[str, Any]:
    """The checkpoint: modules, RNGs, position, bookkeeping, carried state, run config."""
    return {
        "model": run.model.state_dict(), "optimizer": run.opt.state_dict(),
        "schedule": run.sched.state_dict(), "rng": rng_state(), "loop": run.loop.to_dict(),
        "scaler": run.scaler.state_dict() if run.scaler is not None else None,
        "rows": run.log.rows, "best_state": run.best_state,
        "carried": run.carried.state_dict() if run.carried is not None else None,
        "run_config": run.run_config, "train_config": config_to_dict(run.cfg),
    }


def _restore(run: _Run, state: dict[str, Any], where: str) -> None:
    load_state_into(run.model, state["model"], where)  # one line if the weights do not fit
    run.opt.load_state_dict(state["optimizer"])
    run.sched.load_state_dict(state["schedule"])
    if run.scaler is not None and state.get("scaler"):
        run.scaler.load_state_dict(state["scaler"])
    run.loop = _Loop(**state["loop"])
    run.log.rows = list(state["rows"])
    run.best_state = state["best_state"]
    if run.carried is not None and state.get("carried") is not None:
        run.carried.load_state_dict(state["carried"])
        run.carried.state = to_device(run.carried.state, run.ctx.device)
    set_rng_state(state["rng"])
    if run.loop.done and not run.loop.stopped_early:  # a finished run resumed with more epochs/steps
        run.loop.done = _max_reached(run) or (run.cfg.max_steps is None and run.loop.epoch >= run.cfg.epochs)
    log.info("resumed at epoch %d, batch %d (step %d)", run.loop.epoch + 1, run.loop.index, run.loop.steps)


def _checkpoint(run: _Run) -> None:
    if run.out is not None and run.main:
        save_checkpoint(run.out, _state(run), step=run.loop.steps)
        run.log.flush()


def _max_reached(run: _Run) -> bool:
    """``max_steps`` done, or the ``max_seconds`` budget spent (rank 0's clock decides)."""
    if run.cfg.max_steps is not None and run.loop.steps >= run.cfg.max_steps:
        return True
    if run.cfg.max_seconds is None:
        return False
    over = time.perf_counter() - run.started >= run.cfg.max_seconds
    return bool(dd.broadcast_object(over, run.ctx))


def _train_epoch(run: _Run) -> None:
    """Batches ``loop.index ..`` of epoch ``loop.epoch`` (stops early at ``max_steps``)."""
    loop, cfg, n = run.loop, run.cfg, len(run.train)
    if loop.index == 0:
        loop.tot = loop.cnt = 0.0
        if run.carried is not None:
            run.carried.reset()
    run.net.train()
    bar = Progress(enabled=progress_enabled(cfg.quiet, run.main), total=n, epoch=loop.epoch + 1,
                   epochs=cfg.epochs if cfg.max_steps is None else None, start=loop.index)
    try:
        for i in range(loop.index, n):
            g_loss, g_count = _train_step(run, run.train.get(loop.epoch, i))
            loop.tot, loop.cnt = loop.tot + g_loss, loop.cnt + g_count
            loop.index, loop.steps = i + 1, loop.steps + 1
            bar.update(g_loss / max(g_count, 1.0), int(g_count))
            if loop.steps % cfg.log_every == 0:
                run.log.add({"kind": "step", "epoch": loop.epoch + 1, "step": loop.steps, "lr": loop.lr,
                             "train_loss": g_loss / max(g_count, 1.0)})
            if _max_reached(run):
                break
            if cfg.checkpoint_every is not None and loop.steps % cfg.checkpoint_every == 0:
                _checkpoint(run)
    finally:
        bar.close()


def _validate(run: _Run) -> dict[str, float]:
    if run.validate is None:
        return {}
    metrics = None
    if run.main:
        run.model.eval()
        with torch.no_grad():
            metrics = {f"val_{k}": float(v) for k, v in run.validate(run.model).items()}
    return dd.broadcast_object(metrics, run.ctx)


def _end_epoch(run: _Run) -> None:
    """Validate, track the best epoch, step the plateau rule, decide whether to stop."""
    loop, cfg = run.loop, run.cfg
    row = {"kind": "epoch", "epoch": loop.epoch + 1, "step": loop.steps, "lr": loop.lr,
           "train_loss": loop.tot / max(loop.cnt, 1.0), **_validate(run)}
    if run.key not in row:
        raise ConfigError(f"monitor {run.key!r} is not among the metrics {sorted(row)}")
    cur = run.sign * row[run.key]
    if not loop.best or cur < run.sign * loop.best[run.key]:
        loop.best, loop.bad = dict(row), 0
        if run.validate is not None and cfg.restore_best:
            run.best_state = {k: v.detach().clone() for k, v in run.model.state_dict().items()}
    else:
        loop.bad += 1
    run.sched.end_epoch(row[run.key])
    loop.history.append(row)
    run.log.add(row)
    log.info("epoch %d %s", loop.epoch + 1, row)
    loop.stopped_early = cfg.patience is not None and loop.bad >= cfg.patience
    last_epoch = cfg.max_steps is None and loop.epoch + 1 >= cfg.epochs
    loop.done = (_max_reached(run) or last_epoch or loop.stopped_early or not math.isfinite(row["train_loss"]))
    loop.epoch, loop.index = loop.epoch + 1, 0


def _build(model: nn.Module, step: StepFn, train: Batches, cfg: TrainConfig, *, validate: ValidateFn | None,
           monitor: str, mode: str, out: Path | None, carried: CarriedState | None,
           run_config: dict[str, Any] | None) -> _Run:
    if mode not in ("min", "max"):
        raise ConfigError(f"mode must be 'min' or 'max', got {mode!r}")
    if len(train) < 1:
        raise ConfigError("no training batches (empty training data)")
    ctx = dd.setup_distributed(cfg.device)
    model.to(ctx.device)
    net: nn.Module = model
    if ctx.enabled:
        ids = [ctx.device.index] if ctx.device.type == "cuda" else None
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)
    cuda = ctx.device.type == "cuda"
    amp_dtype = (torch.float16 if cuda else torch.bfloat16) if cfg.amp else None
    if cfg.amp and not cuda and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        log.warning("--amp: this CPU has no bfloat16 instructions, so mixed precision will be slower")
    total = cfg.max_steps if cfg.max_steps is not None else cfg.epochs * len(train)
    return _Run(model=model, net=net, step=step, train=train, cfg=cfg, ctx=ctx,
                opt=make_optimizer(model.parameters(), cfg), sched=Schedule(cfg, total, mode),
                scaler=torch.amp.GradScaler("cuda") if cfg.amp and cuda else None, amp_dtype=amp_dtype,
                log=MetricsLog(out if ctx.rank == 0 else None, tensorboard=cfg.tensorboard and ctx.rank == 0),
                out=Path(out) if out is not None else None, carried=carried, validate=validate,
                key=f"val_{monitor}" if validate is not None else f"train_{monitor}",
                sign=1.0 if mode == "min" else -1.0, run_config=run_config)


def fit(model: nn.Module, step: StepFn, train: Batches, cfg: TrainConfig, *,
        validate: ValidateFn | None = None, monitor: str = "loss", mode: str = "min",
        out: Path | None = None, resume: Path | None = None, carried: CarriedState | None = None,
        run_config: dict[str, Any] | None = None) -> FitResult:
    """Train ``model`` in place; returns the history. Restores the best weights if validating.

    ``validate(model)`` returns metrics after each epoch; ``monitor``/``mode`` pick the one
    (``val_<monitor>``, or ``train_loss`` without validation) that drives early stopping, the
    plateau schedule and best-weights selection. With ``out``, ``metrics.csv`` and
    ``out/checkpoint/`` are written (rank 0 only); ``resume`` continues the run checkpointed
    there exactly (a folder without a checkpoint yet starts from the beginning). ``carried``
    is the TBPTT state the step uses (reset every epoch, saved in checkpoints); ``run_config``
    (the task's config as a dict) is stored in checkpoints for ``--resume``.
    """
    t0 = time.perf_counter()
    run = _build(model, step, train, cfg, validate=validate, monitor=monitor, mode=mode, out=out,
                 carried=carried, run_config=run_config)
    try:
        state = load_checkpoint(Path(resume)) if resume is not None else None
        if state is not None:
            _restore(run, state, f"--resume {resume}")
        else:
            seed_everything(cfg.seed + run.ctx.rank)
        while not run.loop.done:
            _train_epoch(run)
            _end_epoch(run)
            _checkpoint(run)
        run.log.close()
    finally:
        dd.teardown_distributed(run.ctx)
    if run.best_state is not None and cfg.restore_best:
        model.load_state_dict(run.best_state)
    loop = run.loop
    return FitResult(history=list(loop.history), best=dict(loop.best), steps=loop.steps,
                     seconds=time.perf_counter() - t0, stopped_early=loop.stopped_early,
                     rows=list(run.log.rows))
