"""Learning-rate schedules: known values, and the engine applies them step by step."""

from __future__ import annotations

import math

import pytest
import torch

from rnnkit.training import StepOutput, TensorBatches, TrainConfig, fit
from rnnkit.training.schedules import Schedule, lr_at


def test_step_schedule_zaremba():
    cfg = TrainConfig(lr=1.0, schedule="step", lr_decay=0.5, decay_after=4)
    assert [lr_at(cfg, epoch=e, step=0, total_steps=1) for e in range(1, 8)] == [1, 1, 1, 1, 0.5, 0.25, 0.125]
    cfg0 = TrainConfig(lr=1.0, schedule="step", lr_decay=0.5, decay_after=0)
    assert [lr_at(cfg0, epoch=e, step=0, total_steps=1) for e in (1, 2, 3)] == [1, 0.5, 0.25]


def test_cosine_and_constant():
    cfg = TrainConfig(lr=2.0, schedule="cosine")
    vals = [lr_at(cfg, epoch=1, step=s, total_steps=10) for s in range(11)]
    assert vals[0] == 2.0 and vals[10] == pytest.approx(0.0, abs=1e-12)
    assert vals[5] == pytest.approx(1.0) and all(a >= b for a, b in zip(vals, vals[1:], strict=False))
    assert all(v == pytest.approx(1 + math.cos(math.pi * s / 10)) for s, v in enumerate(vals))
    assert lr_at(TrainConfig(lr=0.3), epoch=9, step=99, total_steps=100) == 0.3


def test_plateau_rule():
    s = Schedule(TrainConfig(lr=1.0, schedule="plateau", lr_decay=0.1, plateau_patience=1), 100)
    lrs = []
    for metric in [5, 4, 4.5, 4.2, 4.1, 3, 3, 3, 3]:
        s.end_epoch(metric)
        lrs.append(s.lr(1, 0))
    # stalls at 4.5 (bad 1), 4.2 (bad 2 > 1 → decay), 4.1 (bad 1), ... 3 3 (bad 1) 3 (bad 2 → decay)
    assert lrs == pytest.approx([1, 1, 1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01])
    s2 = Schedule(s.cfg, 100)
    s2.load_state_dict(s.state_dict())
    assert s2.lr(1, 0) == s.lr(1, 0)


def test_engine_uses_schedule_per_step():
    seen = []

    def step(model, batch):
        (x,) = batch
        seen.append(None)
        return StepOutput(model(x).pow(2).mean(), len(x))

    model = torch.nn.Linear(2, 1)
    cfg = TrainConfig(epochs=3, batch_size=4, lr=0.1, optimizer="sgd", schedule="step", lr_decay=0.5,
                      decay_after=1, clip=None, quiet=True, log_every=1)
    res = fit(model, step, TensorBatches(torch.randn(8, 2), batch_size=4), cfg)
    assert [row["lr"] for row in res.history] == [0.1, 0.05, 0.025] and len(seen) == 6
