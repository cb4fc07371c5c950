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

    model: Literal["hmm", "bilstm"] = field(default="hmm", metadata={"help": "HMM or BiLSTM tagger"})
    order: Literal[2, 3] = field(default=3, metadata={"help": "HMM: 3 = interpolated trigram, 2 = bigram"})
    column: Literal["upos", "xpos"] = field(default="upos", metadata={"help": "CoNLL-U tag column"})
    smoothing: float = field(default=0.1, metadata={"help": "HMM: additive smoothing of bigram transitions"})
    suffix_length: int = field(default=5, metadata={"help": "HMM: longest suffix used for unknown words"})
    rare_threshold: int = field(default=10, metadata={"help": "HMM: words seen at most this often teach the suffix model"})
    word_dim: int = field(default=100, metadata={"help": "BiLSTM: word embedding size"})
    char_dim: int = field(default=32, metadata={"help": "BiLSTM: character embedding size"})
    char_hidden: int = field(default=50, metadata={"help": "BiLSTM: character BiLSTM units"})
    hidden: int = field(default=128, metadata={"help": "BiLSTM: units per direction"})
    layers: int = field(default=1, metadata={"help": "BiLSTM: stacked layers"})
    dropout: float = field(default=0.33, metadata={"help": "BiLSTM: dropout"})
    min_count: int = field(default=2, metadata={"help": "BiLSTM: rarer words share <unk>"})
    word_dropout: float = field(default=0.05, metadata={"help": "BiLSTM: share of training words replaced by <unk>"})
    train: TrainConfig = field(default_factory=_default_train)

    def __post_init__(self) -> None:
        if self.smoothing < 0 or self.suffix_length < 0 or self.rare_threshold < 1:
            raise ConfigError("smoothing, suffix_length must be ≥ 0 and rare_threshold ≥ 1")
        if min(self.word_dim, self.char_dim, self.char_hidden, self.hidden, self.layers) < 1:
            raise ConfigError("dimensions and layers must be ≥ 1")
        if not 0 <= self.dropout < 1 or not 0 <= self.word_dropout < 1:
            raise ConfigError("dropout and word_dropout must lie in [0, 1)")
