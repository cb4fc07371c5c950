"""Forecasting benchmark: rnnkit models vs statsmodels ETS / airline ARIMA and darts RNNModel
(LSTM, if darts is installed) on built-in series, same splits (last ``horizon`` points held out).

    .venv/bin/python benchmarks/forecasting.py [--quick] [--seeds 3] [--json PATH] [--markdown PATH]

``--markdown`` writes the tables as Markdown rows, ready for BENCHMARKS.md.

darts runs with the settings of its own air-passengers RNN tutorial (hidden 20, input chunk 14,
training length 20, batch 16, 300 epochs, Adam 1e-3, min-max scaling), on the target series
alone like rnnkit; on airline it also runs with the tutorial's calendar covariates (year and
one-hot month), an extra row outside the suite means.
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


def lstm_cfg(name: str, h: int, seed: int, quick: bool) -> ForecastConfig:
    pos = name in ("airline", "wineind", "macrodata")
    cfg = ForecastConfig(dataset=name, model="lstm", lags=24 if h <= 24 else 2 * h, horizon=h,
                         transform="log" if pos else "none", seasonal_diff=pos)
    return replace(cfg, train=replace(cfg.train, seed=seed, quiet=True, epochs=5 if quick else cfg.train.epochs))


def darts_lstm(y_tr: np.ndarray, h: int, seed: int, calendar: bool, quick: bool):
    """darts RNNModel (LSTM) with its air-passengers tutorial settings → (point forecast, fit s).

    That model is deterministic (no likelihood), so it has no intervals: coverage is NaN."""
    import logging

    import pandas as pd
    from darts import TimeSeries
    from darts.dataprocessing.transformers import Scaler
    from darts.models import RNNModel
    from darts.utils.timeseries_generation import datetime_attribute_timeseries

    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning").setLevel(logging.ERROR)
    idx = pd.date_range("1949-01-01", periods=len(y_tr) + h, freq="MS")
    scaler = Scaler()
    train = scaler.fit_transform(TimeSeries.from_times_and_values(idx[:-h], y_tr.astype(np.float32)))
    cov = None
    if calendar:
        cal = datetime_attribute_timeseries(idx, attribute="year").stack(
            datetime_attribute_timeseries(idx, attribute="month", one_hot=True)).astype(np.float32)
        cov = Scaler().fit_transform(cal)
    model = RNNModel(model="LSTM", hidden_dim=20, dropout=0, batch_size=16, n_epochs=5 if quick else 300,
                     optimizer_kwargs={"lr": 1e-3}, input_chunk_length=14, training_length=20,
                     random_state=seed, pl_trainer_kwargs={"accelerator": "cpu", "enable_progress_bar": False,
                                                          "enable_model_summary": False, "logger": False,
                                                          "enable_checkpointing": False})
    t0 = time.perf_counter()
    model.fit(train, future_covariates=cov, verbose=False)
    secs = time.perf_counter() - t0
    point = scaler.inverse_transform(model.predict(h, future_covariates=cov, verbose=False)).values().ravel()
    nan = np.full(h, np.nan)
    from rnnkit.tasks.forecast.metrics import Forecast
    return Forecast(point.astype(np.float64), nan, nan, nan, nan), secs


def darts_rows(name: str, series, h: int, seeds, quick: bool) -> list[dict]:
    try:
        import darts  # noqa: F401
    except ImportError:
        return []
    y_tr, y_te = series.y[:-h], series.y[-h:]
    out = []
    for calendar in (False, True) if name == "airline" else (False,):
        runs = []
        for sd in seeds:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fc, secs = darts_lstm(y_tr, h, sd, calendar, quick)
            met = forecast_metrics(y_te, fc, y_tr, series.period)
            runs.append({**met, "coverage80": float("nan"), "coverage95": float("nan"), "fit_seconds": secs})
        med = sorted(runs, key=lambda m: m["mape"])[len(runs) // 2]
        label = "darts RNNModel LSTM" + (" + calendar covariates (extra)" if calendar else "")
        out.append({"series": name, "model": f"{label} (median of seeds)", **med,
                    "fit_seconds": statistics.median(r["fit_seconds"] for r in runs),
                    "mape_seeds": [r["mape"] for r in runs]})
    return out


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
        runs = [backtest(lstm_cfg(name, h, sd, quick), s)[0] for sd in seeds]
        med = sorted(runs, key=lambda m: m["mape"])[len(runs) // 2]
        rows.append({"series": name, "model": "rnnkit lstm (median of seeds)", **med,
                     "fit_seconds": statistics.median(r["fit_seconds"] for r in runs),
                     "mape_seeds": [r["mape"] for r in runs], "cov95_seeds": [r["coverage95"] for r in runs],
                     "points": h})
        rows += darts_rows(name, s, h, seeds, quick)
        base = lstm_cfg(name, h, 0, True)
        for m in ("ar-linear", "seasonal-naive"):
            rows.append({"series": name, "model": f"rnnkit {m}", **backtest(replace(base, model=m), s)[0]})
        rows.append({"series": name, "model": "statsmodels ETS", **peer_row("ets", ets, s, h)})
        rows.append({"series": name, "model": "statsmodels ARIMA(0,1,1)(0,1,1)", **peer_row("arima", arima, s, h)})
    return rows


def summarise(model: str, rows: list[dict], points: dict[str, int]) -> dict:
    """Suite means; ``pooled_cov95`` is the share of all holdout points inside the 95 % interval."""
    n = np.array([points[r["series"]] for r in rows])
    cov = np.array([r["coverage95"] for r in rows])
    return {"model": model, "mean_mase": float(np.mean([r["mase"] for r in rows])),
            "mean_cov95": float(np.mean(cov)), "pooled_cov95": float(np.sum(cov * n) / np.sum(n)),
            "median_fit_seconds": float(np.median([r["fit_seconds"] for r in rows]))}


def markdown(rows: list[dict], summary: list[dict]) -> str:
    """Both tables as Markdown (BENCHMARKS.md rows)."""
    def fmt(v):
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    def table(items, cols):
        head = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        return head + ["| " + " | ".join(fmt(r[c]) for c in cols) + " |" for r in items]

    per = table(rows, ("series", "model", "mase", "mape", "coverage95", "fit_seconds"))
    tot = table(summary, ("model", "mean_mase", "mean_cov95", "pooled_cov95", "median_fit_seconds"))
    return "\n".join(per + [""] + tot) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=str)
    ap.add_argument("--markdown", type=str, help="also write the tables as Markdown here")
    ap.add_argument("--seeds", type=int, default=3, help="LSTM seeds per series (median reported)")
    a = ap.parse_args()
    rows = run(a.quick, a.seeds)
    cols = ("series", "model", "mase", "mape", "coverage95", "fit_seconds")
    print(format_table([{c: (round(r[c], 3) if isinstance(r[c], float) else r[c]) for c in cols} for r in rows]))
    models = sorted({r["model"] for r in rows if "(extra)" not in r["model"]})
    summary = [summarise(m, [r for r in rows if r["model"] == m], dict(SUITE)) for m in models]
    print()
    print(format_table(summary))
    print()
    for r in rows:
        if "mape_seeds" in r:
            print(f"{r['series']:>10}  {r['model']:<55} MAPE per seed: "
                  + ", ".join(f"{v:.2f}" for v in r["mape_seeds"])
                  + ("  95% coverage per seed: " + ", ".join(f"{v:.0f}" for v in r["cov95_seeds"])
                     if "cov95_seeds" in r else ""))
    if a.json:
        atomic.write_json(a.json, {"rows": rows, "summary": summary})
    if a.markdown:
        atomic.write_text(a.markdown, markdown(rows, summary))


if __name__ == "__main__":
    main()
