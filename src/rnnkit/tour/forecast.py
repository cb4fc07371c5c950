"""Tour section "forecast": airline passengers, last 24 months held out — LSTM vs baselines."""

from __future__ import annotations

from dataclasses import replace

from rnnkit.data import registry
from rnnkit.tasks.forecast import ForecastConfig, backtest
from rnnkit.tasks.forecast.plots import plot_forecast
from rnnkit.tour.base import SectionResult, TourContext

TITLE = "Forecasting (AR windows: linear, MLP, LSTM; 80/95 % intervals)"


def run(ctx: TourContext) -> SectionResult:
    series = registry.load("airline", "series")
    base = ForecastConfig(dataset="airline", lags=24, horizon=24, transform="log", seasonal_diff=True)
    base = replace(base, train=replace(base.train, seed=ctx.seed, device=ctx.device, quiet=True,
                                       epochs=2 if ctx.quick else 60))
    rows, files = [], []
    for model in ("seasonal-naive", "ar-linear", "ar-mlp", "lstm"):
        m, _, pred, _ = backtest(replace(base, model=model), series)
        rows.append({"model": model, "MAPE %": round(m["mape"], 2), "MASE": round(m["mase"], 3),
                     "cover95 %": round(m["coverage95"], 1), "fit s": round(m["fit_seconds"], 2)})
        if model == "lstm":
            path = ctx.section_dir("forecast") / "airline_lstm.png"
            plot_forecast(path, series.y[:-24], pred, series.y[-24:], "airline — lstm")
            files.append(path)
    return SectionResult(TITLE, rows, files=files, notes=["log transform + seasonal differencing (lag 12), "
                                                          "Gaussian head, recursive strategy"])
