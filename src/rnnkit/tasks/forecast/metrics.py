"""Forecast metrics: MAE, RMSE, MAPE %, sMAPE %, MASE (scaled by the in-sample seasonal-naive MAE),
coverage of the 80 % and 95 % intervals (in %)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Forecast(NamedTuple):
    """Point forecast and interval bounds, each (h,)."""

    mean: np.ndarray
    lo80: np.ndarray
    hi80: np.ndarray
    lo95: np.ndarray
    hi95: np.ndarray


def forecast_metrics(y: np.ndarray, fc: Forecast, y_train: np.ndarray, season: int) -> dict[str, float]:
    e = y - fc.mean
    m = season if len(y_train) > season else 1
    scale = float(np.mean(np.abs(y_train[m:] - y_train[:-m])))
    nz = np.abs(y) > 0
    denom = np.abs(y) + np.abs(fc.mean)
    return {
        "mae": float(np.mean(np.abs(e))),
        "rmse": float(np.sqrt(np.mean(e ** 2))),
        "mape": float(100 * np.mean(np.abs(e[nz] / y[nz]))) if nz.any() else float("nan"),
        "smape": float(100 * np.mean(np.where(denom > 0, 2 * np.abs(e) / np.where(denom > 0, denom, 1), 0.0))),
        "mase": float(np.mean(np.abs(e)) / scale) if scale > 0 else float("nan"),
        "coverage80": float(100 * np.mean((y >= fc.lo80) & (y <= fc.hi80))),
        "coverage95": float(100 * np.mean((y >= fc.lo95) & (y <= fc.hi95))),
    }


def mean_metrics(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
