"""Library calls with the same seed give the same model, whatever ran before in the process."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from rnnkit.data.sequences import SequenceSet, SequenceTask
from rnnkit.tasks.classify import ClassifyConfig
from rnnkit.tasks.classify import train as train_classifier
from rnnkit.tasks.forecast import ForecastConfig, Series
from rnnkit.tasks.forecast.forecaster import train_forecaster


def _weights(net: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in net.state_dict().values()]


def _same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def test_classifier_weights_depend_on_the_seed_alone(seed):
    rng = np.random.default_rng(seed)
    X = [rng.standard_normal((12, 1)).astype(np.float32) for _ in range(20)]
    task = SequenceTask("toy", "classification", "values", SequenceSet(X, np.arange(20) % 2),
                        SequenceSet(X[:4], np.arange(4) % 2), ["a", "b"])
    cfg = ClassifyConfig(hidden=4)
    cfg = replace(cfg, train=replace(cfg.train, epochs=1, quiet=True, seed=seed))
    first = _weights(train_classifier(cfg, task).net)
    torch.rand(1000)  # disturb the global generator
    assert _same(first, _weights(train_classifier(cfg, task).net))


def test_forecaster_weights_depend_on_the_seed_alone(seed):
    y = np.sin(np.arange(80) / 3.0)
    cfg = ForecastConfig(model="gru", lags=6, horizon=4, hidden=4, valid=0)
    cfg = replace(cfg, train=replace(cfg.train, epochs=1, quiet=True, seed=seed))
    first = _weights(train_forecaster(cfg, Series("s", y))[0].net)
    torch.randn(1000)
    assert _same(first, _weights(train_forecaster(cfg, Series("s", y))[0].net))
