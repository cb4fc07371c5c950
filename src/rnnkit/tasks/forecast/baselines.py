"""Naive and seasonal-naive forecasts with normal intervals (Hyndman & Athanasopoulos §5.5).

naive: ŷ_{T+h} = y_T, σ_h = σ √h; seasonal-naive: ŷ_{T+h} = y_{T+h−s(⌊(h−1)/s⌋+1)}, σ_h = σ √(⌊(h−1)/s⌋+1),
σ the deviation of the in-sample one-step (lag-s) errors.
"""

from __future__ import annotations

import numpy as np

from rnnkit.tasks.forecast.metrics import Forecast

Z80, Z95 = 1.2815515655446004, 1.959963984540054


def normal_forecast(point: np.ndarray, sd: np.ndarray) -> Forecast:
    return Forecast(point, point - Z80 * sd, point + Z80 * sd, point - Z95 * sd, point + Z95 * sd)


def seasonal_naive(y: np.ndarray, h: int, s: int) -> Forecast:
    """s = 1 gives the naive forecast."""
    s = s if len(y) > s else 1
    k = np.arange(h)
    point = y[len(y) - s + (k % s)]  # (h,)
    err = y[s:] - y[:-s]
    sigma = float(np.std(err)) if len(err) > 1 else 0.0
    return normal_forecast(point.astype(np.float64), sigma * np.sqrt(k // s + 1))
