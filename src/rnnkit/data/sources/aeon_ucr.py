"""UCR/UEA time-series classification sets shipped inside the ``aeon`` package (offline)."""

from __future__ import annotations

import warnings

import numpy as np

from rnnkit.data.registry import DatasetInfo, register
from rnnkit.data.sequences import SequenceSet, SequenceTask, encode_labels

SETS = {
    "GunPoint": "gun draw vs point, 1 channel × 150, 50 train / 150 test",
    "ArrowHead": "arrow-head outlines, 3 classes, 1 × 251, 36 / 175",
    "ItalyPowerDemand": "daily electricity demand, 2 classes, 1 × 24, 67 / 1029",
    "OSULeaf": "leaf outlines, 6 classes, 1 × 427, 200 / 242",
    "BasicMotions": "accelerometer + gyroscope, 4 classes, 6 × 100, 40 / 40 (multivariate)",
    "JapaneseVowels": "speaker ID from vowels, 9 classes, 12 × 7–29 (variable length), 270 / 370",
}


def _as_list(X) -> list[np.ndarray]:
    """aeon returns (N, C, T) arrays or lists of (C, T_n): → list of (T_n, C) float32."""
    return [np.asarray(x, dtype=np.float32).T for x in X]


def load_ucr(name: str) -> SequenceTask:
    from aeon.datasets import load_classification

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Xtr, ytr = load_classification(name, split="train")
        Xte, yte = load_classification(name, split="test")
    ytr, yte, labels = encode_labels(ytr, yte)
    return SequenceTask(name, "classification", "values", SequenceSet(_as_list(Xtr), ytr),
                        SequenceSet(_as_list(Xte), yte), labels)


for _name, _details in SETS.items():
    register(DatasetInfo(name=_name, kind="classification", description=f"UCR/UEA {_name}",
                         source="aeon (bundled UCR/UEA archive files)", requires=("aeon",),
                         loader=lambda n=_name: load_ucr(n), details=_details))
