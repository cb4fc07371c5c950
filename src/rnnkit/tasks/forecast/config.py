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

    dataset: str | None = field(default=None, metadata={"help": "built-in series (rnnkit datasets list), unless --csv is given"})
    model: Literal["naive", "seasonal-naive", "ar-linear", "ar-mlp", "rnn", "lstm", "gru"] = field(default="lstm", metadata={"help": "forecasting model"})
    lags: int = field(default=24, metadata={"help": "window length k fed to the model"})
    horizon: int = field(default=12, metadata={"help": "steps to forecast; as many last points are held out"})
    strategy: Literal["recursive", "direct", "mimo"] = field(default="recursive", metadata={"help": "recursive: one step fed back; direct: one model per step; mimo: all steps at once"})
    head: Literal["gaussian", "quantile"] = field(default="gaussian", metadata={"help": "gaussian: mean and scale; quantile: pinball loss (direct/mimo only)"})
    hidden: int = field(default=32, metadata={"help": "hidden units"})
    layers: int = field(default=1, metadata={"help": "stacked recurrent layers"})
    dropout: float = field(default=0.0, metadata={"help": "dropout between layers"})
    transform: Literal["none", "log"] = field(default="none", metadata={"help": "log needs positive data"})
    diff: int = field(default=0, metadata={"help": "1 = model first differences"})
    seasonal_diff: bool = False
    season: int = field(default=0, metadata={"help": "seasonal period for --seasonal-diff (0 = the dataset's)"})
    backtest: int = field(default=1, metadata={"help": "rolling origins to evaluate"})
    valid: int = field(default=12, metadata={"help": "latest training windows for early stopping and σ calibration (0 = off)"})
    samples: int = field(default=200, metadata={"help": "sample paths for recursive intervals"})
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
