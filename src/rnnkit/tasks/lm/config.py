"""``LMConfig``: the one config of language modelling and text generation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rnnkit.errors import ConfigError
from rnnkit.training import TrainConfig


def _default_train() -> TrainConfig:
    return TrainConfig(epochs=10, batch_size=32, optimizer="adam", lr=2e-3, clip=5.0)


@dataclass(frozen=True)
class LMConfig:
    """Model, data and TBPTT settings (training settings in ``train``).

    ``corpus`` is a built-in text (``shakespeare``, ``ptb``) unless ``--text PATH`` is given.
    ``unit``: ``char``, ``word`` (``max_vocab`` most frequent words, ``<unk>``, ``<eos>`` per
    line) or ``bpe`` (``max_vocab`` merges' vocabulary, via the ``tokenizers`` package).
    Model: embedding (``embed`` wide, 0 = ``hidden``) → ``layers`` × ``cell`` of ``hidden``
    units → softmax over the vocabulary; ``dropout`` on the embedding, between layers and
    before the softmax; ``tie_weights`` shares the embedding with the output layer (needs
    ``embed`` = ``hidden``). ``init_scale`` > 0 draws every weight from U(−s, s) (Zaremba et
    al. use 0.1); 0 keeps each layer's own initialisation.
    Truncated BPTT: ``bptt`` steps per window, the state carried across windows and reset
    each epoch (:mod:`rnnkit.training.tbptt`). ``val_fraction`` of a user text (the end) is
    held out when no ``--valid`` file is given. Defaults suit a character model; the Penn
    Treebank recipe of Zaremba et al. is ``configs/zaremba-small.toml``.
    """

    corpus: str | None = field(default=None, metadata={"help": "built-in text (shakespeare, ptb), unless --text is given"})
    unit: Literal["char", "word", "bpe"] = field(default="char", metadata={"help": "tokens: characters, words or BPE pieces"})
    max_vocab: int = field(default=10000, metadata={"help": "word/bpe vocabulary size"})
    cell: Literal["lstm", "gru", "rnn"] = field(default="lstm", metadata={"help": "recurrent cell"})
    layers: int = field(default=2, metadata={"help": "stacked recurrent layers"})
    hidden: int = field(default=256, metadata={"help": "hidden units"})
    embed: int = field(default=0, metadata={"help": "embedding size (0 = hidden)"})
    dropout: float = field(default=0.0, metadata={"help": "dropout on the embedding, between layers and before the softmax"})
    tie_weights: bool = field(default=False, metadata={"help": "share the embedding with the output layer (needs embed = hidden)"})
    init_scale: float = field(default=0.0, metadata={"help": "U(-s, s) initialisation of every weight (0 = layer default)"})
    bptt: int = field(default=100, metadata={"help": "truncated BPTT window (steps)"})
    val_fraction: float = field(default=0.05, metadata={"help": "held-out end of a user --text"})
    eval_batch_size: int = field(default=10, metadata={"help": "rows for evaluation streams"})
    backend: Literal["auto", "reference", "fused"] = field(default="auto", metadata={"help": "recurrent layer backend (auto = the fastest)"})
    train: TrainConfig = field(default_factory=_default_train)

    def __post_init__(self) -> None:
        if min(self.layers, self.hidden, self.bptt, self.eval_batch_size) < 1 or self.embed < 0:
            raise ConfigError("layers, hidden, bptt and eval_batch_size must be ≥ 1 and embed ≥ 0")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout must lie in [0, 1), got {self.dropout}")
        if self.tie_weights and self.embed not in (0, self.hidden):
            raise ConfigError("tie_weights needs embed = hidden (or embed 0)")
        if not 0 < self.val_fraction < 0.5:
            raise ConfigError(f"val_fraction must lie in (0, 0.5), got {self.val_fraction}")
        if self.init_scale < 0:
            raise ConfigError(f"init_scale must be ≥ 0, got {self.init_scale}")

    @property
    def embed_size(self) -> int:
        return self.embed or self.hidden
