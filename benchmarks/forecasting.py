"""Forecasting benchmark: rnnkit models vs statsmodels ETS / airline ARIMA (and darts RNNModel if
installed) on built-in series, same splits (last ``horizon`` points held out).

    .venv/bin/python benchmarks/forecasting.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from dataclasses import replace

import numpy as np

from rnnkit import atomic
from rnnkit.cli.common import format_table
from rnnkit.data import registry
from rnnkit.tasks.forecast import ForecastConfig, Series, backtest, forecast_metrics
from rnnkit.tasks.forecast.baselines import normal_forecast

SUITE = (("airline", 24), ("wineind", 12), ("lynx", 10), ("nile", 10), ("sunspots", 11), ("macrodata", 8))


def lstm_cfg(name: str, h: int, seed: int, epochs: int) -> ForecastConfig:
    pos = name in ("airline", "wineind", "macrodata")
    cfg = ForecastConfig(dataset=name, model="lstm", lags=24 if h <= 24 else 2 * h, horizon=h,
                         transform="log" if pos else "none", seasonal_diff=pos)
    return replace(cfg, train=replace(cfg.train, seed=seed, quiet=True, epochs=epochs))


def ets(y_tr: np.ndarray, h: int, period: int):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    seasonal = "mul" if period > 1 and y_tr.min() > 0 else ("add" if period > 1 else None)
    m = ExponentialSmoothing(y_tr, trend="add", seasonal=seasonal,
                             seasonal_periods=period if seasonal else None).fit()
    point = m.forecast(h)
    sd = np.std(m.resid) * np.sqrt(np.arange(1, h + 1))
    return normal_forecast(np.asarray(point), sd)


def arima(y_tr: np.ndarray, h: int, period: int):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    seas = (0, 1, 1, period) if 1 < period <= 24 else (0, 0, 0, 0)
    log = y_tr.min() > 0
    r = SARIMAX(np.log(y_tr) if log else y_tr, order=(0, 1, 1), seasonal_order=seas).fit(disp=False)
    f = r.get_forecast(h)
    ci95, ci80 = f.conf_int(alpha=0.05), f.conf_int(alpha=0.2)
    tf = np.exp if log else (lambda a: a)
    from rnnkit.tasks.forecast.metrics import Forecast
    return Forecast(tf(f.predicted_mean), tf(ci80[:, 0]), tf(ci80[:, 1]), tf(ci95[:, 0]), tf(ci95[:, 1]))


def peer_row(name, fn, series, h):
    y_tr, y_te = series.y[:-h], series.y[-h:]
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = fn(y_tr, h, series.period)
    return {**forecast_metrics(y_te, fc, y_tr, series.period), "fit_seconds": time.perf_counter() - t0}


def run(quick: bool, n_seeds: int = 3) -> list[dict]:
    rows = []
    for name, h in SUITE[:2] if quick else SUITE:
        s = registry.load(name, "series")
        s = Series(s.name, s.y, period=s.period)  # univariate target (macrodata: realgdp only)
        seeds = tuple(range(1 if quick else n_seeds))
        runs = [backtest(lstm_cfg(name, h, sd, 5 if quick else 30), s)[0] for sd in seeds]
        med = sorted(runs, key=lambda m: m["mape"])[len(runs) // 2]
        rows.append({"series": name, "model": "rnnkit lstm (median of seeds)", **med,
                     "fit_seconds": statistics.median(r["fit_seconds"] for r in runs)})
        base = lstm_cfg(name, h, 0, 1)
        for m in ("ar-linear", "seasonal-naive"):
            rows.append({"series": name, "model": f"rnnkit {m}", **backtest(replace(base, model=m), s)[0]})
        rows.append({"series": name, "model": "statsmodels ETS", **peer_row("ets", ets, s, h)})
        rows.append({"series": name, "model": "statsmodels ARIMA(0,1,1)(0,1,1)", **peer_row("arima", arima, s, h)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=str)
    ap.add_argument("--seeds", type=int, default=3, help="LSTM seeds per series (median reported)")
    a = ap.parse_args()
    rows = run(a.quick, a.seeds)
    cols = ("series", "model", "mase", "mape", "coverage95", "fit_seconds")
    print(format_table([{c: (round(r[c], 3) if isinstance(r[c], float) else r[c]) for c in cols} for r in rows]))
    models = sorted({r["model"] for r in rows})
    summary = [{"model": m, "mean_mase": float(np.mean([r["mase"] for r in rows if r["model"] == m])),
                "mean_cov95": float(np.mean([r["coverage95"] for r in rows if r["model"] == m]))} for m in models]
    print()
    print(format_table(summary))
    if a.json:
        atomic.write_json(a.json, {"rows": rows, "summary": summary})


if __name__ == "__main__":
    main()
