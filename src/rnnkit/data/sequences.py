"""Labelled sequence sets for many-to-one tasks (classification and regression).

A ``SequenceTask`` has a train and a test ``SequenceSet``. Values are lists of float arrays
(T_n, D) (variable length allowed); texts are lists of strings, turned into character ids by
``CharVocab``. Shape legend: N sequences, T time, D features.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from rnnkit.errors import DataError


@dataclass(frozen=True)
class SequenceSet:
    """``X``: list of (T_n, D) float32 arrays or of strings; ``y``: (N,) labels or targets."""

    X: list
    y: np.ndarray

    def __post_init__(self) -> None:
        if len(self.X) != len(self.y):
            raise DataError(f"{len(self.X)} sequences but {len(self.y)} labels")
        if len(self.X) == 0:
            raise DataError("no sequences")


@dataclass(frozen=True)
class SequenceTask:
    """A named task: ``kind`` "classification" or "regression", ``inputs`` "values" or "text"."""

    name: str
    kind: str
    inputs: str
    train: SequenceSet
    test: SequenceSet
    labels: list[str] = field(default_factory=list)  # class names, index = label id


def encode_labels(train_y, test_y) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """String or numeric class labels → ids 0..K−1 (sorted names); unseen test labels are an error."""
    names = sorted({str(v) for v in train_y})
    index = {n: i for i, n in enumerate(names)}
    unseen = sorted({str(v) for v in test_y} - set(names))
    if unseen:
        raise DataError(f"test labels not seen in training: {', '.join(unseen[:5])}")
    return (np.array([index[str(v)] for v in train_y]), np.array([index[str(v)] for v in test_y]), names)


def znorm(x: np.ndarray) -> np.ndarray:
    """Per-series z-normalisation over time, per feature; constant series become zeros."""
    mu, sd = x.mean(0, keepdims=True), x.std(0, keepdims=True)
    return ((x - mu) / np.where(sd > 1e-8, sd, 1.0)).astype(np.float32)


class CharVocab:
    """Characters of the training texts; id 0 = padding, 1 = unknown."""

    def __init__(self, chars: list[str]) -> None:
        self.chars = chars
        self.index = {c: i + 2 for i, c in enumerate(chars)}

    @classmethod
    def build(cls, texts: list[str], min_count: int = 1) -> CharVocab:
        counts = Counter(c for t in texts for c in t)
        return cls(sorted(c for c, n in counts.items() if n >= min_count))

    def __len__(self) -> int:
        return len(self.chars) + 2

    def encode(self, text: str) -> np.ndarray:
        return np.array([self.index.get(c, 1) for c in text] or [1], dtype=np.int64)
