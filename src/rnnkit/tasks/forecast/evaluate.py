"""Holdout and rolling-origin backtests: fit on y[:o], score y[o:o+h] for origins o."""

from __future__ import annotations

import time
from dataclasses import replace

from rnnkit.errors import ConfigError
from rnnkit.tasks.forecast.config import ForecastConfig
from rnnkit.tasks.forecast.data import Series
from rnnkit.tasks.forecast.forecaster import Forecaster, period_of, train_forecaster
from rnnkit.tasks.forecast.metrics import Forecast, forecast_metrics, mean_metrics


def origins(n: int, horizon: int, folds: int) -> list[int]:
    """Cut points, last fold last: n−h·folds, …, n−h."""
    cuts = [n - horizon * (folds - j) for j in range(folds)]
    if cuts[0] < 3:
        raise ConfigError(f"{len(cuts)} backtest fold(s) of {horizon} points do not fit in {n} points")
    return cuts


def backtest(cfg: ForecastConfig, series: Series, out=None) -> tuple[dict[str, float], Forecaster, Forecast, list]:
    """Mean metrics over the folds (+ fit ``seconds``); the last fold's model, forecast and history."""
    rows, fc, pred, hist, secs = [], None, None, [], 0.0
    for o in origins(len(series.y), cfg.horizon, cfg.backtest):
        past = series.head(o)
        t0 = time.perf_counter()
        fc, hist = train_forecaster(cfg, past, out=out if o == len(series.y) - cfg.horizon else None)
        secs += time.perf_counter() - t0
        pred = fc.forecast(past, cfg.horizon, seed=cfg.train.seed)
        rows.append(forecast_metrics(series.y[o:o + cfg.horizon], pred, past.y, period_of(cfg, series)))
    return {**mean_metrics(rows), "fit_seconds": secs}, fc, pred, hist


def compare(cfg: ForecastConfig, series: Series, models: tuple[str, ...]) -> list[dict]:
    """Backtest metrics of other models (the baselines) with the same splits."""
    table = []
    for m in models:
        met, *_ = backtest(replace(cfg, model=m, head="gaussian"), series)
        table.append({"model": m, **{k: round(v, 4) for k, v in met.items()}})
    return table

