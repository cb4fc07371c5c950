"""scikit-learn's digits (8×8 images) read as sequences: row by row or pixel by pixel."""

from __future__ import annotations

import numpy as np

from rnnkit.data.registry import DatasetInfo, register
from rnnkit.data.sequences import SequenceSet, SequenceTask


def load_digits_sequences(mode: str) -> SequenceTask:
    """``rows``: 8 steps × 8 pixels; ``pixels``: 64 steps × 1. Fixed 75/25 split (seed 0)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    X = (d.images / 16.0).astype(np.float32)  # (N, 8, 8) in [0, 1]
    X = X if mode == "rows" else X.reshape(len(X), 64, 1)
    order = np.random.default_rng(0).permutation(len(X))
    cut = int(0.75 * len(X))
    tr, te = order[:cut], order[cut:]
    labels = [str(i) for i in range(10)]
    return SequenceTask(f"digits-{mode}", "classification", "values",
                        SequenceSet(list(X[tr]), d.target[tr]), SequenceSet(list(X[te]), d.target[te]), labels)


register(DatasetInfo("digits-rows", "classification", "sklearn digits, row by row", "scikit-learn",
                     lambda: load_digits_sequences("rows"), ("sklearn",), "1,797 images, 8 steps × 8"))
register(DatasetInfo("digits-pixels", "classification", "sklearn digits, pixel by pixel", "scikit-learn",
                     lambda: load_digits_sequences("pixels"), ("sklearn",), "1,797 images, 64 steps × 1"))
