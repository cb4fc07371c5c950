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

    dataset: str | None = field(default=None, metadata={"help": "built-in dataset (rnnkit datasets list), unless --train/--test files are given"})
    task: Literal["classification", "regression"] = field(default="classification", metadata={"help": "classification (cross-entropy) or regression"})
    cell: Literal["rnn", "lstm", "gru"] = field(default="gru", metadata={"help": "recurrent cell"})
    hidden: int = field(default=64, metadata={"help": "hidden units per direction"})
    layers: int = field(default=1, metadata={"help": "stacked recurrent layers"})
    bidirectional: bool = field(default=False, metadata={"help": "read each sequence both ways"})
    pool: Literal["last", "mean", "max", "attention"] = field(default="mean", metadata={"help": "how the outputs over time become one vector"})
    dropout: float = field(default=0.1, metadata={"help": "dropout between layers and before the head"})
    normalize: Literal["series", "global", "none"] = field(default="series", metadata={"help": "series: z-normalise each series; global: the training set's mean and deviation"})
    class_weights: bool = field(default=False, metadata={"help": "weight classes by inverse frequency"})
    loss: Literal["mse", "huber"] = field(default="mse", metadata={"help": "regression loss on standardised targets"})
    embed_dim: int = field(default=32, metadata={"help": "character embedding size (text inputs)"})
    val_fraction: float = field(default=0.0, metadata={"help": "training share held out to pick the best epoch (0 = none)"})
    chunk: int = field(default=1, metadata={"help": "read c consecutive values as one step of c·D features"})
    train: TrainConfig = field(default_factory=_default_train)

    def __post_init__(self) -> None:
        if self.hidden < 1 or self.layers < 1 or self.embed_dim < 1 or self.chunk < 1:
            raise ConfigError("hidden, layers, embed_dim and chunk must be ≥ 1")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout must lie in [0, 1), got {self.dropout}")
        if not 0 <= self.val_fraction < 0.9:
            raise ConfigError(f"val_fraction must lie in [0, 0.9), got {self.val_fraction}")
