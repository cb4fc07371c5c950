"""``ClassifyConfig``: the one config of many-to-one classification and regression."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rnnkit.errors import ConfigError
from rnnkit.training import TrainConfig


def _default_train() -> TrainConfig:
    return TrainConfig(epochs=100, batch_size=32, lr=3e-3, clip=1.0, patience=None)


@dataclass(frozen=True)
class ClassifyConfig:
    """Model and data settings.

    ``dataset``: a built-in name (``rnnkit datasets list``) unless ``--train/--test`` files are
    given. ``task`` classification (cross-entropy, optional inverse-frequency ``class_weights``)
    or regression (``loss`` mse or huber, on standardised targets). ``pool`` turns the outputs
    (B, T, H·dirs) into one vector: last, mean, max or attention. ``normalize``: ``series``
    z-normalises each series over time per feature (the UCR convention), ``global`` standardises
    each feature with the training set's mean and deviation (keeps level differences between
    series), ``none`` leaves values as they are. ``embed_dim`` is the character embedding size for text inputs.
    ``val_fraction`` of the training set is held out for best-epoch selection (0 = none).
    ``chunk`` c > 1 reads c consecutive steps of a numeric series as one step of c·D features,
    as a picture is read row by row: (B, T, D) → (B, ⌈T/c⌉, c·D). Long series (hundreds of steps)
    get c times fewer recurrent steps to backpropagate through.
    """

    dataset: str | None = None
    task: Literal["classification", "regression"] = "classification"
    cell: Literal["rnn", "lstm", "gru"] = "gru"
    hidden: int = 64
    layers: int = 1
    bidirectional: bool = False
    pool: Literal["last", "mean", "max", "attention"] = "mean"
    dropout: float = 0.1
    normalize: Literal["series", "global", "none"] = "series"
    class_weights: bool = False
    loss: Literal["mse", "huber"] = "mse"
    embed_dim: int = 32
    val_fraction: float = 0.0
    chunk: int = 1
    train: TrainConfig = field(default_factory=_default_train)

    def __post_init__(self) -> None:
        if self.hidden < 1 or self.layers < 1 or self.embed_dim < 1 or self.chunk < 1:
            raise ConfigError("hidden, layers, embed_dim and chunk must be ≥ 1")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout must lie in [0, 1), got {self.dropout}")
        if not 0 <= self.val_fraction < 0.9:
            raise ConfigError(f"val_fraction must lie in [0, 0.9), got {self.val_fraction}")
