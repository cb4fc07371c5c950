"""Learning-rate schedules as pure functions of the position, plus the plateau rule's state.

With base rate η₀, epoch e (1-based), optimizer step s (0-based) and S total steps:

* ``constant``: η = η₀
* ``step``:     η = η₀ · γ^max(0, e − max(decay_after, 1))   (epoch 1 always runs at η₀;
  ``decay_after=4`` gives Zaremba et al.'s "halve after epoch 4": epoch 5 at η₀·γ)
* ``cosine``:   η = η₀ · ½(1 + cos(π·s/S))                  (per step, to 0 at the last step)
* ``plateau``:  η = η₀ · γ^k, k = number of epochs whose monitored metric did not improve on
  the best so far for more than ``plateau_patience`` epochs in a row (the counter then restarts)

γ is ``lr_decay``. The engine writes η into every parameter group before each step, so a
resumed run needs only the position and :meth:`Schedule.state_dict` to continue exactly.
"""

from __future__ import annotations

import math
from typing import Any

from rnnkit.training.config import TrainConfig

__all__ = ["Schedule", "lr_at"]


def lr_at(cfg: TrainConfig, *, epoch: int, step: int, total_steps: int, plateau_decays: int = 0) -> float:
    """The learning rate for ``epoch`` (1-based) and global ``step`` (0-based)."""
    if cfg.schedule == "step":
        return cfg.lr * cfg.lr_decay ** max(0, epoch - max(cfg.decay_after, 1))
    if cfg.schedule == "cosine":
        frac = min(step, total_steps) / max(total_steps, 1)
        return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * frac))
    if cfg.schedule == "plateau":
        return cfg.lr * cfg.lr_decay ** plateau_decays
    return cfg.lr


class Schedule:
    """The configured schedule for one run; only ``plateau`` keeps state (best, bad, decays)."""

    def __init__(self, cfg: TrainConfig, total_steps: int, mode: str = "min") -> None:
        self.cfg, self.total_steps, self.sign = cfg, total_steps, 1.0 if mode == "min" else -1.0
        self.best: float | None = None
        self.bad = 0
        self.decays = 0

    def lr(self, epoch: int, step: int) -> float:
        """η for 1-based ``epoch`` and 0-based global ``step``."""
        return lr_at(self.cfg, epoch=epoch, step=step, total_steps=self.total_steps,
                     plateau_decays=self.decays)

    def end_epoch(self, metric: float) -> None:
        """Feed the epoch's monitored metric (used by ``plateau`` only)."""
        if self.cfg.schedule != "plateau" or not math.isfinite(metric):
            return
        cur = self.sign * metric
        if self.best is None or cur < self.best:
            self.best, self.bad = cur, 0
            return
        self.bad += 1
        if self.bad > self.cfg.plateau_patience:
            self.decays, self.bad = self.decays + 1, 0

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "bad": self.bad, "decays": self.decays}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.bad, self.decays = state["best"], int(state["bad"]), int(state["decays"])
