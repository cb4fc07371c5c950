"""Forecasting: known answers (least squares, baselines, transforms, metrics), CSV handling, CLI."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from rnnkit.cli import main
from rnnkit.errors import ConfigError, DataError
from rnnkit.tasks.forecast import ForecastConfig, Series, backtest, forecast_metrics, read_csv
from rnnkit.tasks.forecast.baselines import seasonal_naive
from rnnkit.tasks.forecast.forecaster import train_forecaster, windows
from rnnkit.tasks.forecast.model import build_net, gaussian_nll, pinball
from rnnkit.tasks.forecast.transform import fit_transform


def _cfg(**kw) -> ForecastConfig:
    cfg = ForecastConfig(**kw)
    return replace(cfg, train=replace(cfg.train, epochs=2, quiet=True))


def _seasonal(n=120, s=12) -> Series:
    t = np.arange(n)
    return Series("toy", 50 + 0.5 * t + 10 * np.sin(2 * np.pi * t / s), period=s)


def test_ar_linear_recovers_an_ar2_process_by_least_squares(seed):
    rng = np.random.default_rng(seed)
    y = np.zeros(3000)
    for t in range(2, len(y)):
        y[t] = 0.6 * y[t - 1] - 0.3 * y[t - 2] + rng.normal()
    fc, _ = train_forecaster(_cfg(model="ar-linear", lags=2, horizon=1), Series("ar2", y))
    lin = fc.net.nets[0].net  # mean row 0 acts on standardised lags (oldest first)
    assert torch.allclose(lin.weight[0], torch.tensor([-0.3, 0.6]), atol=0.06)
    assert abs(float(lin.bias[1].detach().exp()) * fc.transform.scale - 1.0) < 0.05  # noise σ = 1


@pytest.mark.parametrize("strategy", ["recursive", "direct", "mimo"])
def test_ar_linear_is_exact_on_a_noiseless_periodic_trend(strategy):
    s = _seasonal()
    m, *_ = backtest(_cfg(model="ar-linear", lags=13, horizon=12, strategy=strategy), s)
    assert m["mae"] < 1e-4  # float32 weights, values ≈ 100


def test_seasonal_naive_repeats_the_last_season_and_widens():
    y = np.arange(24.0)
    fc = seasonal_naive(y, 30, 12)
    assert np.array_equal(fc.mean[:12], y[12:]) and np.array_equal(fc.mean[12:24], y[12:])
    width = fc.hi95 - fc.lo95
    assert np.allclose(width[12], width[0] * np.sqrt(2)) or width[0] == 0


@pytest.mark.parametrize("log,diff,sdiff", [(False, 0, 0), (True, 1, 0), (True, 0, 12), (False, 1, 12)])
def test_transform_inverse_continues_the_series_exactly(log, diff, sdiff):
    y = _seasonal(96).y
    tr = fit_transform(y[:80], None, log=log, diff=diff, sdiff=sdiff)
    z_future = tr.forward(y)[-16:]
    assert np.allclose(tr.inverse(z_future[None], y[:80])[0], y[80:])


def test_scaling_is_safe_for_zeros_and_constant_series():
    tr = fit_transform(np.zeros(30), None, log=False, diff=0, sdiff=0)
    assert tr.scale == 1.0 and np.all(np.isfinite(tr.forward(np.zeros(30))))
    m, *_ = backtest(_cfg(model="ar-mlp", lags=4, horizon=3), Series("c", np.full(40, 7.0)))
    assert np.isfinite(m["mae"]) and m["mae"] < 0.5


def test_metrics_known_values():
    from rnnkit.tasks.forecast.metrics import Forecast

    y = np.array([10.0, 20.0])
    p = np.array([12.0, 20.0])
    fc = Forecast(p, p - 1, p + 1, p - 3, p + 3)
    m = forecast_metrics(y, fc, np.array([0.0, 1.0, 3.0]), 1)  # naive in-sample MAE 1.5
    assert m["mae"] == 1.0 and m["mape"] == pytest.approx(10.0) and m["mase"] == pytest.approx(1 / 1.5)
    assert m["coverage80"] == 50.0 and m["coverage95"] == 100.0
    assert m["smape"] == pytest.approx(100 * (4 / 22) / 2)


def test_losses_match_closed_forms():
    out = torch.tensor([[[1.0, 0.0]]])
    assert float(gaussian_nll(out, torch.tensor([[3.0]]))) == pytest.approx(2.0)
    q = torch.zeros(1, 1, 5)
    assert float(pinball(q, torch.tensor([[1.0]]))) == pytest.approx(np.mean([0.025, 0.1, 0.5, 0.9, 0.975]))


def test_windows_and_net_shapes():
    u = np.arange(10.0)[:, None]
    X, Y = windows(u, u[:, 0], 3, 2)
    assert X.shape == (6, 3, 1) and Y.shape == (6, 2) and float(Y[0, 0]) == 3.0
    for model in ("ar-mlp", "lstm", "gru", "rnn"):
        net = build_net(model, lags=3, dim=1, steps=2, params=2, direct=True, hidden=4, layers=2, dropout=0.0)
        assert net(X).shape == (6, 2, 2)


@pytest.mark.parametrize("model", ["lstm", "gru", "ar-mlp"])
def test_long_horizon_and_quantile_head_give_ordered_finite_intervals(model):
    s = _seasonal()
    fc, _ = train_forecaster(_cfg(model=model, lags=12, horizon=6, strategy="mimo", head="quantile", hidden=8), s)
    p = fc.forecast(s, 20)  # longer than the trained 6 steps
    assert all(np.all(np.isfinite(a)) for a in p)
    assert np.all(p.lo95 <= p.lo80) and np.all(p.lo80 <= p.hi80) and np.all(p.hi80 <= p.hi95)


def test_covariates_need_a_multi_output_strategy():
    s = _seasonal()
    s = Series("cov", s.y, np.random.default_rng(0).normal(size=(len(s.y), 2)), ("a", "b"), 12)
    with pytest.raises(ConfigError):
        train_forecaster(_cfg(model="gru", lags=6, horizon=3), s)
    fc, _ = train_forecaster(_cfg(model="gru", lags=6, horizon=3, strategy="direct", hidden=4), s)
    assert np.all(np.isfinite(fc.forecast(s, 3).mean))


def test_csv_sorted_interpolated_and_rejected(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("date,y,x\n2020-03-01,3,1\n2020-01-01,1,1\n2020-02-01,,1\n2020-04-01,4,1\n")
    s = read_csv(p, "y", "date", ("x",))
    assert np.allclose(s.y, [1, 2, 3, 4]) and s.period == 12
    p.write_text("y\n1\nabc\n3\n")
    with pytest.raises(DataError, match="non-numeric cell 'abc'"):
        read_csv(p, "y")
    p.write_text("t,y\n2020-01-01,1\n2020-01-01,2\n")
    with pytest.raises(DataError, match="duplicate"):
        read_csv(p, "y", "t")
    p.write_text("a,b\n1,2\nx,y,z\n")  # a ragged row
    with pytest.raises(DataError, match="not a readable CSV .*Expected 2 fields in line 3"):
        read_csv(p, "b")
    p.write_text("")
    with pytest.raises(DataError, match="not a readable CSV"):
        read_csv(p, "b")
    p.write_bytes(b"y\n\xd0\x01\n")  # not UTF-8
    with pytest.raises(DataError, match="not UTF-8 text"):
        read_csv(p, "y")


def test_cli_train_predict_evaluate_round_trip(tmp_path, capsys):
    csv = tmp_path / "s.csv"
    y = _seasonal(80).y
    csv.write_text("v\n" + "\n".join(f"{v:.4f}" for v in y) + "\n")
    out, js = tmp_path / "m", tmp_path / "m.json"
    rc = main(["forecast", "train", "--csv", str(csv), "--target", "v", "--model", "gru", "--lags", "12",
               "--horizon", "6", "--hidden", "8", "--epochs", "2", "--quiet", "--out", str(out), "--json", str(js)])
    assert rc == 0 and (out / "forecast.png").is_file() and (out / "training.png").is_file()
    metrics = json.loads(js.read_text())
    assert set(metrics) == {"mae", "rmse", "mape", "smape", "mase", "coverage80", "coverage95", "seconds"}
    assert "seasonal-naive" in capsys.readouterr().out
    ej = tmp_path / "e.json"
    assert main(["forecast", "evaluate", "--model", str(out), "--csv", str(csv), "--target", "v",
                 "--json", str(ej)]) == 0
    assert json.loads(ej.read_text())["mae"] == pytest.approx(metrics["mae"], rel=1e-5)
    capsys.readouterr()
    assert main(["forecast", "predict", "--model", str(out), "--horizon", "9"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "step,forecast,lo80,hi80,lo95,hi95" and len(lines) == 10


def test_cli_evaluate_needs_the_trained_covariates(tmp_path, capsys):
    t = np.arange(90)
    csv = tmp_path / "c.csv"
    csv.write_text("y,x\n" + "\n".join(f"{10 + np.sin(i / 3):.4f},{np.cos(i / 3):.4f}" for i in t) + "\n")
    out = str(tmp_path / "m")
    assert main(["forecast", "train", "--csv", str(csv), "--target", "y", "--covariates", "x", "--model", "lstm",
                 "--strategy", "mimo", "--lags", "8", "--horizon", "4", "--hidden", "4", "--epochs", "1",
                 "--quiet", "--out", out]) == 0
    capsys.readouterr()
    assert main(["forecast", "evaluate", "--model", out, "--csv", str(csv), "--target", "y"]) == 2
    assert capsys.readouterr().err == "rnnkit: error: the model was trained with --covariates x; pass the same\n"
    assert main(["forecast", "evaluate", "--model", out, "--csv", str(csv), "--target", "y", "--covariates", "x"]) == 0


def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys):
    assert main(["forecast", "train", "--model", "lstm"]) == 2
    assert main(["forecast", "train", "--dataset", "airline", "--model", "lstm", "--head", "quantile"]) == 2
    assert main(["forecast", "predict", "--model", str(tmp_path / "nope")]) == 2
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\nx,y,z\n")
    assert main(["forecast", "train", "--csv", str(ragged), "--target", "b"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("rnnkit: error:") for line in err)


def test_builtin_series_load():
    from rnnkit.data import registry

    air = registry.load("airline", "series")
    assert len(air.y) == 144 and air.period == 12
    co2 = registry.load("co2", "series")
    assert np.all(np.isfinite(co2.y))
    macro = registry.load("macrodata", "series")
    assert macro.covariates.shape == (len(macro.y), 4)


def test_quick_tour_section(tmp_path):
    from rnnkit.tour import forecast
    from rnnkit.tour.base import TourContext

    res = forecast.run(TourContext(out=tmp_path, quick=True, quiet=True))
    assert {r["model"] for r in res.rows} == {"seasonal-naive", "ar-linear", "ar-mlp", "lstm"}
    assert all(p.is_file() for p in res.files)
