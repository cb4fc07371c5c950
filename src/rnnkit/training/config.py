"""``TrainConfig``: the settings every task's training shares (one frozen dataclass)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation, schedule, clipping, early stopping, devices and logging.

    ``epochs`` bounds the run unless ``max_steps`` is set, which then wins; ``max_seconds``
    also ends it (after the step in progress, then validation) once that much wall time has
    passed in this invocation. ``clip`` is the
    lecture's gradient clipping threshold on the global norm (``None`` = off).
    Schedules (exact rules in :mod:`rnnkit.training.schedules`): ``constant``; ``step``
    (lr ← lr·lr_decay each epoch after ``decay_after``); ``cosine`` (to 0 over the run);
    ``plateau`` (× lr_decay when the monitored metric stalls for > ``plateau_patience`` epochs).
    ``patience``: stop after that many epochs in a row without improvement of the monitored
    metric. ``batch_size`` is global: under data-parallel training each of W processes gets
    about batch_size / W rows of every batch, so the effective batch stays ``batch_size``.
    """

    seed: int = field(default=0, metadata={"help": "random seed (bit-identical runs on CPU)"})
    device: str = field(default="auto", metadata={"help": "auto|cpu|cuda"})
    epochs: int = field(default=20, metadata={"help": "passes over the training data"})
    max_steps: int | None = field(default=None, metadata={"help": "stop after this many optimizer steps"})
    max_seconds: float | None = field(default=None, metadata={"help": "stop after this much wall time (a budget per invocation)"})
    batch_size: int = field(default=32, metadata={"help": "global batch size"})
    optimizer: Literal["sgd", "adam", "adamw"] = field(default="adam", metadata={"help": "optimizer"})
    lr: float = field(default=1e-3, metadata={"help": "learning rate"})
    momentum: float = field(default=0.0, metadata={"help": "SGD momentum"})
    weight_decay: float = field(default=0.0, metadata={"help": "L2 penalty (decoupled for adamw)"})
    schedule: Literal["constant", "step", "cosine", "plateau"] = field(default="constant", metadata={"help": "learning-rate schedule"})
    lr_decay: float = field(default=0.5, metadata={"help": "factor for step/plateau schedules"})
    decay_after: int = field(default=0, metadata={"help": "step schedule: first epoch to decay after"})
    clip: float | None = field(default=5.0, metadata={"help": "clip gradient norm (none = off)"})
    plateau_patience: int = field(default=0, metadata={"help": "plateau schedule: epochs without improvement tolerated before a decay"})
    patience: int | None = field(default=None, metadata={"help": "early stopping: stop after this many epochs without improvement"})
    restore_best: bool = field(default=True, metadata={"help": "end with the best validation epoch's weights"})
    amp: bool = field(default=False, metadata={"help": "mixed precision: float16 on CUDA (loss scaling), bfloat16 on CPU"})
    quiet: bool = field(default=False, metadata={"help": "no progress bars"})
    checkpoint_every: int | None = field(default=None, metadata={"help": "also checkpoint every N steps (epoch ends always)"})
    log_every: int = field(default=50, metadata={"help": "add a step row to metrics.csv every N steps"})
    tensorboard: bool = field(default=False, metadata={"help": "also log to OUT/tensorboard (needs the tensorboard package)"})

    def __post_init__(self) -> None:
        from rnnkit.errors import ConfigError

        if self.epochs < 1:
            raise ConfigError(f"epochs must be ≥ 1, got {self.epochs}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError(f"max_steps must be ≥ 1, got {self.max_steps}")
        if self.max_seconds is not None and not self.max_seconds > 0:
            raise ConfigError(f"max_seconds must be > 0, got {self.max_seconds}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be ≥ 1, got {self.batch_size}")
        if not self.lr > 0:
            raise ConfigError(f"lr must be > 0, got {self.lr}")
        for name in ("patience", "checkpoint_every"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise ConfigError(f"{name} must be ≥ 1 or none, got {v}")
        if self.log_every < 1 or self.plateau_patience < 0:
            raise ConfigError("log_every must be ≥ 1 and plateau_patience ≥ 0")
        if not 0 < self.lr_decay <= 1:
            raise ConfigError(f"lr_decay must be in (0, 1], got {self.lr_decay}")
        if self.clip is not None and not self.clip > 0:
            raise ConfigError(f"clip must be > 0 or none, got {self.clip}")
