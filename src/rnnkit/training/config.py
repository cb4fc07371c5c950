"""``TrainConfig``: the settings every task's training shares (one frozen dataclass)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation, schedule, clipping, early stopping, devices and logging.

    ``epochs`` bounds the run unless ``max_steps`` is set, which then wins. ``clip`` is the
    lecture's gradient clipping threshold on the global norm (``None`` = off).
    Schedules: ``constant``; ``step`` (lr ← lr·lr_decay each epoch after ``decay_after``);
    ``cosine`` (to 0 over the run); ``plateau`` (× lr_decay when the monitored metric stalls).
    """

    seed: int = field(default=0, metadata={"help": "random seed (bit-identical runs on CPU)"})
    device: str = field(default="auto", metadata={"help": "auto|cpu|cuda"})
    epochs: int = field(default=20, metadata={"help": "passes over the training data"})
    max_steps: int | None = field(default=None, metadata={"help": "stop after this many optimizer steps"})
    batch_size: int = field(default=32, metadata={"help": "global batch size"})
    optimizer: Literal["sgd", "adam", "adamw"] = "adam"
    lr: float = field(default=1e-3, metadata={"help": "learning rate"})
    momentum: float = 0.0
    weight_decay: float = 0.0
    schedule: Literal["constant", "step", "cosine", "plateau"] = "constant"
    lr_decay: float = field(default=0.5, metadata={"help": "factor for step/plateau schedules"})
    decay_after: int = field(default=0, metadata={"help": "step schedule: first epoch to decay after"})
    clip: float | None = field(default=5.0, metadata={"help": "clip gradient norm (none = off)"})
    patience: int | None = field(default=None, metadata={"help": "early stopping patience in epochs"})
    amp: bool = field(default=False, metadata={"help": "mixed precision on CUDA"})
    quiet: bool = field(default=False, metadata={"help": "no progress bars"})

    def __post_init__(self) -> None:
        from rnnkit.errors import ConfigError

        if self.epochs < 1:
            raise ConfigError(f"epochs must be ≥ 1, got {self.epochs}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError(f"max_steps must be ≥ 1, got {self.max_steps}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be ≥ 1, got {self.batch_size}")
        if not self.lr > 0:
            raise ConfigError(f"lr must be > 0, got {self.lr}")
        if self.clip is not None and not self.clip > 0:
            raise ConfigError(f"clip must be > 0 or none, got {self.clip}")
