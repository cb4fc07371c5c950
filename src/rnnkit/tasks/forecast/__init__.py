"""Time-series forecasting: AR windows with linear, MLP and recurrent f; probabilistic heads."""

from rnnkit.tasks.forecast.config import ForecastConfig
from rnnkit.tasks.forecast.data import Series, read_csv
from rnnkit.tasks.forecast.evaluate import backtest, compare
from rnnkit.tasks.forecast.forecaster import Forecaster, train_forecaster
from rnnkit.tasks.forecast.metrics import Forecast, forecast_metrics

__all__ = ["Forecast", "ForecastConfig", "Forecaster", "Series", "backtest", "compare", "forecast_metrics",
           "read_csv", "train_forecaster"]
