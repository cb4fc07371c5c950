"""``ForecastConfig``: the one config of time-series forecasting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rnnkit.errors import ConfigError
from rnnkit.training import TrainConfig

MODELS = ("naive", "seasonal-naive", "ar-linear", "ar-mlp", "rnn", "lstm", "gru")
NEURAL = ("ar-mlp", "rnn", "lstm", "gru")


def _default_train() -> TrainConfig:
    return TrainConfig(epochs=100, batch_size=32, lr=3e-3, clip=1.0, patience=10)


@dataclass(frozen=True)
class ForecastConfig:
    """Forecast y_{t+1..t+h} from the window y_{t-k+1..t} (k = ``lags``), P(y_{t+1} | y_t … y_{t-k+1}).

    ``model``: naive | seasonal-naive | ar-linear (least squares on k lags) | ar-mlp (MLP on the
    K·D window) | rnn | lstm | gru (``layers`` deep). ``strategy``: recursive (one step ahead, fed
    back), direct (one model per horizon step), mimo (one model outputs all h steps). ``head``:
    gaussian (mean and scale, NLL) or quantile (pinball loss on 2.5/10/50/90/97.5 %, mimo/direct
    only). ``transform`` log needs positive data; ``diff`` 1 takes first differences,
    ``seasonal_diff`` differences at lag ``season`` (0 = the dataset's period). ``horizon`` last
    points are held out; ``backtest`` N > 1 evaluates N rolling origins. ``valid`` latest
    training windows (after a gap of M−1 windows, so no target is shared) drive early stopping
    (``train.patience``, best epoch restored) and calibrate σ: it is multiplied by the RMS of
    the standardised validation residuals when that exceeds 1. 0 turns this off; it is also
    skipped when it would leave fewer than half the windows for fitting.
    """

    dataset: str | None = None
    model: Literal["naive", "seasonal-naive", "ar-linear", "ar-mlp", "rnn", "lstm", "gru"] = "lstm"
    lags: int = 24
    horizon: int = 12
    strategy: Literal["recursive", "direct", "mimo"] = "recursive"
    head: Literal["gaussian", "quantile"] = "gaussian"
    hidden: int = 32
    layers: int = 1
    dropout: float = 0.0
    transform: Literal["none", "log"] = "none"
    diff: int = 0
    seasonal_diff: bool = False
    season: int = 0
    backtest: int = 1
    valid: int = field(default=12, metadata={"help": "latest training windows for early stopping and σ calibration (0 = off)"})
    samples: int = 200
    train: TrainConfig = field(default_factory=_default_train)

    def __post_init__(self) -> None:
        if self.lags < 1 or self.horizon < 1 or self.hidden < 1 or self.layers < 1:
            raise ConfigError("lags, horizon, hidden and layers must be ≥ 1")
        if self.diff not in (0, 1):
            raise ConfigError(f"diff must be 0 or 1, got {self.diff}")
        if self.season < 0 or self.backtest < 1 or self.samples < 10 or self.valid < 0:
            raise ConfigError("season must be ≥ 0, backtest ≥ 1, samples ≥ 10, valid ≥ 0")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout must lie in [0, 1), got {self.dropout}")
        if self.head == "quantile" and self.strategy == "recursive" and self.model in NEURAL:
            raise ConfigError("--head quantile needs --strategy mimo or direct (quantiles do not compose recursively)")
        if self.head == "quantile" and (self.diff or self.seasonal_diff) and self.model in NEURAL:
            raise ConfigError("--head quantile cannot be combined with differencing (quantiles do not add up)")
