"""Validation windows: early stopping on the latest windows and σ calibration."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from rnnkit.tasks.forecast import ForecastConfig, Series
from rnnkit.tasks.forecast.forecaster import calibrate_scale, train_forecaster, valid_windows
from rnnkit.tasks.forecast.model import build_net


def _net(steps: int = 1):
    return build_net("ar-linear", lags=3, dim=1, steps=steps, params=2, direct=False, hidden=4, layers=1, dropout=0.0)


def test_calibration_widens_sigma_to_the_validation_residuals():
    net = _net()
    with torch.no_grad():  # μ = 0, log σ = log 0.5
        net.nets[0].net.weight.zero_()
        net.nets[0].net.bias.copy_(torch.tensor([0.0, float(np.log(0.5))]))
    X = torch.zeros(400, 3, 1)  # (v, K, D)
    Y = torch.randn(400, 1, generator=torch.Generator().manual_seed(0)) * 2.0  # (v, M): true σ = 2
    calibrate_scale(net, X, Y)
    with torch.no_grad():
        sigma = float(net(X[:1])[0, 0, 1].exp())
    rms = float(Y.pow(2).mean().sqrt())
    assert abs(sigma - rms) < 1e-4, (sigma, rms)  # 0.5 · (rms / 0.5)


def test_calibration_never_narrows():
    net = _net()
    with torch.no_grad():
        net.nets[0].net.weight.zero_()
        net.nets[0].net.bias.copy_(torch.tensor([0.0, float(np.log(3.0))]))
    Y = torch.full((50, 1), 0.1)  # residuals far inside σ = 3
    calibrate_scale(net, torch.zeros(50, 3, 1), Y)
    assert float(net.log_scale_shift) == 0.0


def test_valid_windows_keep_half_the_data_and_a_gap_for_multi_output():
    cfg = ForecastConfig(valid=12, horizon=24)
    assert valid_windows(cfg, 84) == 12  # recursive: M = 1, no gap
    assert valid_windows(cfg, 20) == 0  # 20 − 12 < 10
    mimo = replace(cfg, strategy="mimo")
    assert valid_windows(mimo, 61) == 0  # 61 − 12 − 23 = 26 < 30
    assert valid_windows(mimo, 100) == 12
    assert valid_windows(replace(cfg, valid=0), 84) == 0


def test_early_stopping_keeps_the_best_validation_epoch(seed):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal(80)  # pure noise: a big net soon overfits the 44 fitting windows
    cfg = ForecastConfig(model="gru", lags=12, horizon=12, hidden=64, valid=12)
    cfg = replace(cfg, train=replace(cfg.train, epochs=200, lr=1e-2, patience=3, quiet=True, seed=seed))
    fc, hist = train_forecaster(cfg, Series("s", y, period=12))
    losses = [h["val_loss"] for h in hist]
    assert len(hist) < 200  # stopped early
    assert np.argmin(losses) == len(losses) - 1 - 3  # then waited `patience` epochs
    assert float(fc.net.log_scale_shift) >= 0.0
