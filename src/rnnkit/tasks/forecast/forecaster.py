"""``Forecaster``: a thin shell over the transform, the window net and the forecast algorithms."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import torch

from rnnkit.config import config_to_dict
from rnnkit.device import resolve_device
from rnnkit.errors import ConfigError
from rnnkit.tasks.forecast.baselines import seasonal_naive
from rnnkit.tasks.forecast.config import ForecastConfig
from rnnkit.tasks.forecast.data import Series
from rnnkit.tasks.forecast.metrics import Forecast
from rnnkit.tasks.forecast.model import ForecastNet, build_net, gaussian_nll, pinball
from rnnkit.tasks.forecast.transform import Transform, fit_transform
from rnnkit.training import StepOutput, TensorBatches, fit
from rnnkit.training.rng import seed_everything


def period_of(cfg: ForecastConfig, series: Series) -> int:
    return cfg.season or series.period


def steps_of(cfg: ForecastConfig) -> int:
    return 1 if cfg.strategy == "recursive" else cfg.horizon


def windows(u: np.ndarray, z: np.ndarray, lags: int, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """u (N, D), z (N,) → X (n, K, D), Y (n, M) with n = N − K − M + 1."""
    n = len(z) - lags - steps + 1
    if n < 2:
        raise ConfigError(f"series too short for lags={lags} and {steps} output step(s): {len(z)} points")
    idx = np.arange(n)[:, None]
    X = u[idx + np.arange(lags)]  # (n, K, D)
    Y = z[idx + lags + np.arange(steps)]  # (n, M)
    return torch.tensor(X, dtype=torch.float32), torch.tensor(Y, dtype=torch.float32)


def fit_least_squares(net: ForecastNet, X: torch.Tensor, Y: torch.Tensor) -> None:
    """ar-linear: means by least squares on [vec(X), 1]; log σ = log of the residual deviation."""
    A = torch.cat([X.flatten(1), torch.ones(len(X), 1)], 1).double()  # (n, K·D+1)
    for j, lin in enumerate(net.nets):
        cols = [j] if net.direct else list(range(Y.shape[1]))
        coef = torch.linalg.lstsq(A, Y[:, cols].double()).solution  # (K·D+1, M')
        resid = (Y[:, cols].double() - A @ coef).std(0).clamp_min(1e-6)
        W = torch.zeros_like(lin.net.weight, dtype=torch.float64)
        b = torch.zeros_like(lin.net.bias, dtype=torch.float64)
        W[0::2], b[0::2], b[1::2] = coef[:-1].T, coef[-1], resid.log()
        with torch.no_grad():
            lin.net.weight.copy_(W), lin.net.bias.copy_(b)


@dataclass
class Forecaster:
    """A fitted model: ``forecast(series, h)`` continues ``series`` h steps with intervals."""

    cfg: ForecastConfig
    transform: Transform | None
    net: ForecastNet | None
    period: int

    def forecast(self, series: Series, h: int, seed: int = 0) -> Forecast:
        if self.net is None:
            return seasonal_naive(series.y, h, self.period if self.cfg.model == "seasonal-naive" else 1)
        if series.covariates is not None and h > steps_of(self.cfg) and self.cfg.strategy != "recursive":
            raise ConfigError(f"with covariates the horizon is at most the trained {steps_of(self.cfg)} steps")
        from rnnkit.tasks.forecast.sampling import sample_forecast
        return sample_forecast(self, series, h, seed)

    def files(self) -> dict[str, str]:
        return {"transform.json": json.dumps(self.transform.to_dict() if self.transform else None),
                "period.json": json.dumps(self.period)}


def make_net(cfg: ForecastConfig, dim: int) -> ForecastNet:
    params = 5 if cfg.head == "quantile" and cfg.model != "ar-linear" else 2
    return build_net(cfg.model, lags=cfg.lags, dim=dim, steps=steps_of(cfg), params=params,
                     direct=cfg.strategy == "direct", hidden=cfg.hidden, layers=cfg.layers, dropout=cfg.dropout)


def train_forecaster(cfg: ForecastConfig, series: Series, out=None) -> tuple[Forecaster, list]:
    """Fit on the whole of ``series`` (callers cut the holdout). Returns the model and fit history."""
    period = period_of(cfg, series)
    if cfg.model in ("naive", "seasonal-naive"):
        return Forecaster(cfg, None, None, period), []
    if cfg.strategy == "recursive" and series.covariates is not None:
        raise ConfigError("covariates need --strategy mimo or direct (future covariates are unknown)")
    sdiff = period if cfg.seasonal_diff else 0
    tr = fit_transform(series.y, series.covariates, log=cfg.transform == "log", diff=cfg.diff, sdiff=sdiff)
    z = tr.forward(series.y)  # (N,)
    u = z[:, None] if series.covariates is None else np.concatenate([z[:, None], tr.covariates(series.covariates)], 1)
    X, Y = windows(u, z, cfg.lags, steps_of(cfg))
    seed_everything(cfg.train.seed)  # initial weights depend on the seed alone
    net = make_net(cfg, u.shape[1])
    if cfg.model == "ar-linear":
        fit_least_squares(net, X, Y)
        return Forecaster(cfg, tr, net.eval(), period), []
    history = fit_windows(cfg, net, X, Y, out)
    return Forecaster(cfg, tr, net, period), history


def fit_windows(cfg: ForecastConfig, net: ForecastNet, X: torch.Tensor, Y: torch.Tensor, out=None) -> list:
    """Train ``net`` on windows X (n, K, D) → Y (n, M) through the engine; the latest
    ``valid_windows`` validate (early stopping) and then calibrate σ. Leaves ``net`` on CPU, eval."""
    loss_fn = pinball if net.params == 5 else gaussian_nll

    def step(model, batch):
        x, y = batch
        return StepOutput(loss_fn(model(x), y), len(y))

    v = valid_windows(cfg, len(X))
    n_fit = len(X) - v - (Y.shape[1] - 1 if v else 0)  # a gap of M−1 windows: no shared targets
    Xv, Yv = X[len(X) - v:], Y[len(X) - v:]  # (v, K, D), (v, M): the latest windows

    @torch.no_grad()
    def validate(model):
        model.eval()
        o = model(Xv.to(next(model.parameters()).device)).cpu()  # (v, M, P)
        model.train()
        return {"loss": float(loss_fn(o, Yv))}

    net.to(resolve_device(cfg.train.device))
    res = fit(net, step, TensorBatches(X[:n_fit], Y[:n_fit], batch_size=cfg.train.batch_size, seed=cfg.train.seed),
              cfg.train, validate=validate if v else None, out=out, run_config=config_to_dict(cfg))
    net.cpu().eval()
    if v and net.params == 2:
        calibrate_scale(net, Xv, Yv)
    return res.history


def valid_windows(cfg: ForecastConfig, n: int) -> int:
    """How many of the n latest windows validate (early stopping, σ calibration): ``cfg.valid``,
    or none when that would leave fewer than half the windows (plus the gap) for fitting."""
    gap = steps_of(cfg) - 1
    return cfg.valid if n - cfg.valid - gap >= max(n // 2, 2) else 0


@torch.no_grad()
def calibrate_scale(net: ForecastNet, Xv: torch.Tensor, Yv: torch.Tensor) -> None:
    """σ ← c σ with c = RMS of the standardised validation residuals (c ≥ 1): widen, never narrow."""
    out = net(Xv)  # (v, M, 2)
    r = (Yv - out[..., 0]) * torch.exp(-out[..., 1].clamp(-7, 7))  # (v, M)
    c = r.pow(2).mean().sqrt().clamp_min(1.0)
    net.log_scale_shift += c.log()


__all__ = ["Forecaster", "fit_windows", "make_net", "period_of", "steps_of", "train_forecaster", "windows"]
