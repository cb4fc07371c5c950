"""Fashion-MNIST (Debian ``dataset-fashion-mnist``; ``make data``) read row by row: 28 steps × 28."""

from __future__ import annotations

import gzip

import numpy as np

from rnnkit.data.registry import DatasetInfo, register
from rnnkit.data.sequences import SequenceSet, SequenceTask
from rnnkit.data.sources.debian import require

LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
          "Ankle boot"]


def _idx(path) -> np.ndarray:
    """Read an IDX file (the MNIST format): magic, dims, then uint8 data."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion_rows() -> SequenceTask:
    root = require("usr/share/datasets/fashion-mnist", "Fashion-MNIST")
    sets = []
    for split in ("train", "t10k"):
        X = _idx(root / f"{split}-images-idx3-ubyte.gz").astype(np.float32) / 255.0  # (N, 28, 28)
        sets.append(SequenceSet(list(X), _idx(root / f"{split}-labels-idx1-ubyte.gz").astype(np.int64)))
    return SequenceTask("fashion-mnist-rows", "classification", "values", sets[0], sets[1], LABELS)


register(DatasetInfo("fashion-mnist-rows", "classification", "Fashion-MNIST, row by row",
                     "Debian dataset-fashion-mnist (make data)", load_fashion_rows,
                     details="60,000 / 10,000 images, 28 steps × 28"))
