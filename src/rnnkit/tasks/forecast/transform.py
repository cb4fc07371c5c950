"""Invertible y → z pipeline: optional log, seasonal and first differencing, safe standardising.

z_t = (a_t − μ) / σ with a = Δ_1^d Δ_s^D log?(y); σ = 1 when the series is (near) constant, so
zeros and constant series never divide by zero.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from rnnkit.errors import ConfigError


def _safe_scale(a: np.ndarray) -> np.ndarray:
    sd = np.std(a, axis=0)
    return np.where(sd > 1e-8 * np.maximum(1.0, np.abs(np.mean(a, axis=0))), sd, 1.0)


@dataclass(frozen=True)
class Transform:
    """Fitted on the training part only; ``lost`` leading points are consumed by differencing."""

    log: bool
    diff: int
    sdiff: int
    mean: float
    scale: float
    cov_mean: tuple[float, ...] = ()
    cov_scale: tuple[float, ...] = ()

    @property
    def lost(self) -> int:
        return self.diff + self.sdiff

    def _level(self, y: np.ndarray) -> np.ndarray:
        if self.log and np.any(y <= 0):
            raise ConfigError("--transform log needs strictly positive values")
        return np.log(y) if self.log else np.asarray(y, dtype=np.float64)

    def _differenced(self, y: np.ndarray) -> np.ndarray:
        a = self._level(y)
        if self.sdiff:
            a = a[self.sdiff:] - a[:-self.sdiff]
        return a[1:] - a[:-1] if self.diff else a

    def forward(self, y: np.ndarray) -> np.ndarray:
        return (self._differenced(y) - self.mean) / self.scale  # (T - lost,)

    def covariates(self, c: np.ndarray) -> np.ndarray:
        return ((c - np.array(self.cov_mean)) / np.array(self.cov_scale))[self.lost:]  # (T - lost, C)

    def inverse(self, z: np.ndarray, y_hist: np.ndarray) -> np.ndarray:
        """Future z (S, h) → future y (S, h), continuing ``y_hist``."""
        a = z * self.scale + self.mean  # (S, h)
        level = self._level(y_hist)
        if self.diff:
            base = level[self.sdiff:] - level[:-self.sdiff] if self.sdiff else level
            a = base[-1] + np.cumsum(a, axis=1)
        if self.sdiff:
            s, h = self.sdiff, a.shape[1]
            ext = np.concatenate([np.broadcast_to(level[-s:], (a.shape[0], s)), np.zeros_like(a)], axis=1)
            for k in range(h):
                ext[:, s + k] = a[:, k] + ext[:, k]
            a = ext[:, s:]
        return np.exp(np.clip(a, -700, 700)) if self.log else a

    def to_dict(self) -> dict:
        return asdict(self)


def fit_transform(y: np.ndarray, cov: np.ndarray | None, *, log: bool, diff: int, sdiff: int) -> Transform:
    t = Transform(log, diff, sdiff, 0.0, 1.0)
    if len(y) <= t.lost + 2:
        raise ConfigError(f"series of {len(y)} points is too short for the differencing asked")
    a = t._differenced(y)
    cm, cs = ((), ()) if cov is None else (tuple(np.mean(cov, 0)), tuple(_safe_scale(cov)))
    return Transform(log, diff, sdiff, float(np.mean(a)), float(_safe_scale(a)), cm, cs)
