"""The fit loop: seed determinism, early stopping + best weights, clipping via rnnkit.nn, outputs."""

from __future__ import annotations

import csv

import pytest
import torch
from torch import nn

import rnnkit.nn
from rnnkit.errors import ConfigError
from rnnkit.training import StepOutput, TensorBatches, TrainConfig, fit


def _data(seed=0, n=64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, 3, generator=g)  # (B, T, D)
    return x, x.sum(dim=(1, 2)).unsqueeze(1)  # (B, 1)


class Net(nn.Module):
    """A GRU with dropout and a linear readout: (B, T, D) → (B, 1)."""

    def __init__(self):
        super().__init__()
        self.rnn, self.drop, self.out = nn.GRU(3, 8, batch_first=True), nn.Dropout(0.2), nn.Linear(8, 1)

    def forward(self, x):
        _, h = self.rnn(x)  # h (1, B, H)
        return self.out(self.drop(h[0]))  # (B, 1)


def mse_step(model, batch):
    x, y = batch
    return StepOutput(nn.functional.mse_loss(model(x), y), len(x))


def _train(seed, **kw):
    torch.manual_seed(123)  # same init; fit's seed drives dropout and shuffling
    model = Net()
    cfg = TrainConfig(epochs=2, batch_size=16, seed=seed, quiet=True, **kw)
    fit(model, mse_step, TensorBatches(*_data(), batch_size=16, seed=seed), cfg)
    return model.state_dict()


def test_same_seed_bit_identical_different_seed_differs():
    a, b, c = _train(1), _train(1), _train(2)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], c[k]) for k in a)


def test_early_stopping_restores_best_weights():
    scores = iter([3.0, 1.0, 2.0, 2.5, 0.5, 0.1])
    snapshots = []

    def validate(model):
        snapshots.append({k: v.clone() for k, v in model.state_dict().items()})
        return {"loss": next(scores)}

    model = Net()
    cfg = TrainConfig(epochs=6, batch_size=16, patience=2, quiet=True)
    res = fit(model, mse_step, TensorBatches(*_data(), batch_size=16), cfg, validate=validate)
    assert len(res.history) == 4 and res.stopped_early  # best at epoch 2, then 2 bad epochs
    assert res.best["epoch"] == 2 and res.best["val_loss"] == 1.0
    assert all(torch.equal(v, snapshots[1][k]) for k, v in model.state_dict().items())


def test_mode_max_and_unknown_monitor():
    model = Net()
    cfg = TrainConfig(epochs=3, batch_size=32, quiet=True)
    accs = iter([0.5, 0.9, 0.7])
    res = fit(model, mse_step, TensorBatches(*_data(), batch_size=32), cfg,
              validate=lambda m: {"accuracy": next(accs)}, monitor="accuracy", mode="max")
    assert res.best["epoch"] == 2
    with pytest.raises(ConfigError, match="monitor 'val_f1'"):
        fit(Net(), mse_step, TensorBatches(*_data(), batch_size=32), cfg,
            validate=lambda m: {"accuracy": 1.0}, monitor="f1")


def test_clipping_goes_through_rnnkit_nn(monkeypatch):
    """One SGD step (lr 1) with clip c moves the weights by exactly c·g/‖g‖ when ‖g‖ > c."""
    calls = []
    real = rnnkit.nn.clip_grad_norm

    def spy(params, max_norm):
        calls.append(max_norm)
        return real(params, max_norm)

    monkeypatch.setattr(rnnkit.nn, "clip_grad_norm", spy)
    x, y = _data()
    model = nn.Linear(15, 1)
    w0 = [p.detach().clone() for p in model.parameters()]
    cfg = TrainConfig(epochs=1, max_steps=1, batch_size=64, optimizer="sgd", lr=1.0, clip=0.01, quiet=True)

    def step(m, batch):
        xb, yb = batch
        return StepOutput(nn.functional.mse_loss(m(xb.flatten(1)), yb), len(xb))

    fit(model, step, TensorBatches(x, y * 100, batch_size=64, shuffle=False), cfg)
    moved = torch.cat([(p.detach() - w).flatten() for p, w in zip(model.parameters(), w0, strict=True)])
    assert calls == [0.01]
    assert moved.norm().item() == pytest.approx(0.01, rel=1e-4)


def test_max_steps_and_metrics_csv(tmp_path):
    cfg = TrainConfig(epochs=100, max_steps=5, batch_size=16, log_every=2, quiet=True)
    res = fit(Net(), mse_step, TensorBatches(*_data(), batch_size=16), cfg, out=tmp_path)
    assert res.steps == 5 and len(res.history) == 2  # 4 batches per epoch: epoch 2 stops after 1
    with (tmp_path / "metrics.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["kind"], r["step"]) for r in rows] == [("step", "2"), ("step", "4"), ("epoch", "4"),
                                                      ("epoch", "5")]
    assert (tmp_path / "checkpoint" / "latest.json").is_file()


def test_no_progress_output_when_not_a_tty(capfd):
    cfg = TrainConfig(epochs=1, batch_size=16, quiet=False)  # not quiet, but stderr is not a terminal
    fit(Net(), mse_step, TensorBatches(*_data(), batch_size=16), cfg)
    assert capfd.readouterr().err == ""


def test_tensorboard_without_package_is_a_config_error(tmp_path):
    import importlib.util

    if importlib.util.find_spec("tensorboard") is not None:
        pytest.skip("tensorboard is installed here")
    cfg = TrainConfig(epochs=1, batch_size=16, tensorboard=True, quiet=True)
    with pytest.raises(ConfigError, match="tensorboard package"):
        fit(Net(), mse_step, TensorBatches(*_data(), batch_size=16), cfg, out=tmp_path)


def test_resume_finished_run_with_more_epochs_equals_longer_run(tmp_path):
    def run(epochs, out, resume=None):
        torch.manual_seed(5)
        model = Net()
        cfg = TrainConfig(epochs=epochs, batch_size=16, quiet=True)
        res = fit(model, mse_step, TensorBatches(*_data(), batch_size=16), cfg, out=out, resume=resume)
        return model.state_dict(), res

    long, _ = run(3, tmp_path / "long")
    run(2, tmp_path / "short")
    more, res = run(3, tmp_path / "short", resume=tmp_path / "short")
    assert [r["epoch"] for r in res.history] == [1, 2, 3]
    assert all(torch.equal(long[k], more[k]) for k in long)


def test_amp_on_cpu_runs_the_step_in_bfloat16_and_keeps_float32_weights():
    seen = []

    def step(model, batch):
        x, y = batch
        out = model(x)
        seen.append(out.dtype)  # nn.Linear under CPU autocast → bfloat16
        return StepOutput(nn.functional.mse_loss(out.float(), y), len(x))

    torch.manual_seed(123)
    model = Net()
    fit(model, step, TensorBatches(*_data(), batch_size=16, seed=0),
        TrainConfig(epochs=1, batch_size=16, quiet=True, amp=True))
    assert seen and set(seen) == {torch.bfloat16}
    assert all(p.dtype == torch.float32 for p in model.parameters())
    seen.clear()
    fit(model, step, TensorBatches(*_data(), batch_size=16, seed=0), TrainConfig(epochs=1, batch_size=16, quiet=True))
    assert set(seen) == {torch.float32}  # without --amp nothing changes
