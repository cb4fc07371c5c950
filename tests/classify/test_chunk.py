"""Reading c consecutive steps as one (``ClassifyConfig.chunk``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from rnnkit.data.sequences import SequenceSet, SequenceTask
from rnnkit.errors import ConfigError
from rnnkit.tasks.classify import ClassifyConfig, train
from rnnkit.tasks.classify.tensors import chunk_steps


def test_chunk_steps_known_answer():
    x = torch.arange(1, 8, dtype=torch.float32).view(1, 7, 1).repeat(2, 1, 1)  # (2, 7, 1): 1..7
    x[1, 5:] = 0  # the second series has length 5
    y, lengths = chunk_steps(x, torch.tensor([7, 5]), 3)
    assert y.shape == (2, 3, 3)
    assert y[0].tolist() == [[1, 2, 3], [4, 5, 6], [7, 0, 0]]
    assert y[1].tolist() == [[1, 2, 3], [4, 5, 0], [0, 0, 0]]
    assert lengths.tolist() == [3, 2]


def test_chunk_steps_interleaves_features_step_by_step():
    x = torch.arange(12, dtype=torch.float32).view(1, 6, 2)  # (1, T=6, D=2)
    y, _ = chunk_steps(x, torch.tensor([6]), 2)
    assert y[0, 1].tolist() == [4, 5, 6, 7]  # steps 2 and 3, each (feature 0, feature 1)


def test_chunked_model_trains_predicts_and_rejects_text(seed):
    rng = np.random.default_rng(seed)
    X = [rng.standard_normal((int(n), 2)).astype(np.float32) for n in rng.integers(10, 30, 40)]
    y = np.array([int(x[:, 0].mean() > 0) for x in X])
    task = SequenceTask("toy", "classification", "values", SequenceSet(X[:30], y[:30]),
                        SequenceSet(X[30:], y[30:]), ["neg", "pos"])
    cfg = ClassifyConfig(chunk=4, hidden=8)
    t = train(replace(cfg, train=replace(cfg.train, epochs=2, quiet=True)), task)
    assert t.net.rnn.input_size == 8  # 4 steps × 2 features
    assert t.predict(task.test).shape == (10,)
    text = SequenceTask("t", "classification", "text", SequenceSet(["ab", "ba"], np.array([0, 1])),
                        SequenceSet(["ab"], np.array([0])), ["a", "b"])
    with pytest.raises(ConfigError, match="chunk"):
        train(cfg, text)
