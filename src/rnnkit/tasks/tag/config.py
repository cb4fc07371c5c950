"""``TagConfig``: the one config of the tagging task (CLI flags map onto its fields)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rnnkit.errors import ConfigError
from rnnkit.training import TrainConfig


def _default_train() -> TrainConfig:
    return TrainConfig(epochs=10, batch_size=32, lr=2e-3, clip=5.0, patience=3)


@dataclass(frozen=True)
class TagConfig:
    """HMM or BiLSTM tagger settings.

    HMM: ``order`` 3 (trigram, interpolated) or 2 (bigram with additive ``smoothing``) transitions; unknown words scored from suffixes
    up to ``suffix_length`` characters (separately for capitalised words), learned from words
    seen at most ``rare_threshold`` times. BiLSTM: word embeddings (``word_dim``) plus a
    character BiLSTM (``char_dim``, ``char_hidden``), then a ``layers``-deep bidirectional LSTM
    (``hidden``) and a softmax per token; words seen fewer than ``min_count`` times share ``<unk>``.
    """

    model: Literal["hmm", "bilstm"] = "hmm"
    order: Literal[2, 3] = 3
    column: Literal["upos", "xpos"] = "upos"
    smoothing: float = 0.1
    suffix_length: int = 5
    rare_threshold: int = 10
    word_dim: int = 100
    char_dim: int = 32
    char_hidden: int = 50
    hidden: int = 128
    layers: int = 1
    dropout: float = 0.33
    min_count: int = 2
    word_dropout: float = 0.05
    train: TrainConfig = field(default_factory=_default_train)

    def __post_init__(self) -> None:
        if self.smoothing < 0 or self.suffix_length < 0 or self.rare_threshold < 1:
            raise ConfigError("smoothing, suffix_length must be ≥ 0 and rare_threshold ≥ 1")
        if min(self.word_dim, self.char_dim, self.char_hidden, self.hidden, self.layers) < 1:
            raise ConfigError("dimensions and layers must be ≥ 1")
        if not 0 <= self.dropout < 1 or not 0 <= self.word_dropout < 1:
            raise ConfigError("dropout and word_dropout must lie in [0, 1)")
