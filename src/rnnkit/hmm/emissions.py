"""Emission models p(O_t | S_t = k): each turns observations into log-emission frames (T, K)
and re-estimates itself from posteriors γ (the M-step).

To add one, implement the ``Emission`` protocol: ``frames``, ``fit_weighted``,
``init_random``, ``sample`` and ``n_parameters``.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from rnnkit.errors import DataError
from rnnkit.hmm.algorithms import FrameBatch


class Emission(Protocol):
    def frames(self, X: list[np.ndarray]) -> FrameBatch | list[np.ndarray]: ...
    def fit_weighted(self, X: list[np.ndarray], gamma: list[np.ndarray]) -> None: ...
    def init_random(self, X: list[np.ndarray], n_states: int, rng: np.random.Generator) -> None: ...
    def sample(self, state: int, rng: np.random.Generator) -> np.ndarray: ...
    def n_parameters(self) -> int: ...


class Categorical:
    """p(O_t = v | S_t = k) = B[k, v]; observations are integer symbols 0..V−1 (T,).

    ``smoothing`` adds a pseudo-count to every (state, symbol) pair in the M-step.
    """

    def __init__(self, n_symbols: int | None = None, smoothing: float = 0.0) -> None:
        self.n_symbols, self.smoothing = n_symbols, smoothing
        self.emissionprob: np.ndarray | None = None  # (K, V)

    def _symbols(self, X: list[np.ndarray]) -> int:
        top = max(int(np.max(x)) for x in X) + 1
        if any(np.min(x) < 0 for x in X):
            raise DataError("categorical observations must be integers ≥ 0")
        return max(top, self.n_symbols or 0)

    def frames(self, X: list[np.ndarray]) -> FrameBatch:
        V = self.emissionprob.shape[1]
        allx = np.concatenate(X)  # (ΣT,)
        if allx.dtype.kind not in "iu":
            raise DataError(f"categorical observations must be integers, got {allx.dtype}")
        if allx.min() < 0 or allx.max() >= V:
            raise DataError(f"symbol out of range 0..{V - 1}")
        with np.errstate(divide="ignore"):
            logB_T = np.ascontiguousarray(np.log(self.emissionprob).T)  # (V, K): one row per symbol
        offsets = np.concatenate([[0], np.cumsum([len(x) for x in X])])
        return FrameBatch(logB_T, offsets, allx.astype(np.int64))

    def init_random(self, X, n_states, rng) -> None:
        self.n_symbols = self._symbols(X)
        self.emissionprob = rng.dirichlet(np.ones(self.n_symbols), n_states)

    def fit_weighted(self, X, gamma) -> None:
        K, V = gamma[0].shape[1], self.emissionprob.shape[1] if self.emissionprob is not None else self._symbols(X)
        counts = np.full((K, V), float(self.smoothing))
        for x, g in zip(X, gamma, strict=True):
            np.add.at(counts.T, x, g)  # counts[k, x_t] += γ_t(k)
        total = counts.sum(1, keepdims=True)
        self.emissionprob = np.where(total > 0, counts / np.where(total > 0, total, 1), 1.0 / V)

    def sample(self, state, rng) -> np.ndarray:
        return np.array(rng.choice(self.emissionprob.shape[1], p=self.emissionprob[state]))

    def n_parameters(self) -> int:
        K, V = self.emissionprob.shape
        return K * (V - 1)


class Gaussian:
    """Diagonal Gaussian: p(O_t | S_t = k) = Π_d N(o_d; μ_kd, σ²_kd); observations (T, D)."""

    def __init__(self, min_covar: float = 1e-3) -> None:
        self.min_covar = min_covar
        self.means: np.ndarray | None = None   # (K, D)
        self.covars: np.ndarray | None = None  # (K, D)

    @staticmethod
    def _2d(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return x[:, None] if x.ndim == 1 else x

    def frames(self, X) -> list[np.ndarray]:
        out = []
        for x in X:
            x = self._2d(x)  # (T, D)
            if not np.all(np.isfinite(x)):
                raise DataError("gaussian observations contain NaN or infinity")
            diff = x[:, None, :] - self.means[None]  # (T, K, D)
            out.append(-0.5 * (np.log(2 * np.pi * self.covars)[None] + diff**2 / self.covars[None]).sum(-1))
        return out

    def init_random(self, X, n_states, rng) -> None:
        allx = np.concatenate([self._2d(x) for x in X])
        self.means = allx[rng.choice(len(allx), n_states, replace=len(allx) < n_states)]
        self.covars = np.tile(allx.var(0) + self.min_covar, (n_states, 1))

    def fit_weighted(self, X, gamma) -> None:
        allx = np.concatenate([self._2d(x) for x in X])  # (ΣT, D)
        g = np.concatenate(gamma)  # (ΣT, K)
        w = g.sum(0)[:, None] + 1e-300  # (K, 1)
        self.means = g.T @ allx / w
        self.covars = g.T @ allx**2 / w - self.means**2 + self.min_covar

    def sample(self, state, rng) -> np.ndarray:
        return rng.normal(self.means[state], np.sqrt(self.covars[state]))

    def n_parameters(self) -> int:
        return 2 * self.means.size
