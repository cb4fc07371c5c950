"""``HiddenMarkovModel``: a thin scikit-learn-style estimator over ``rnnkit.hmm.algorithms``.

    p(S, O) = π_{S_1} Π_{t>1} A_{S_{t−1} S_t} Π_t p(O_t | S_t)

Observations ``X`` are a list of sequences (ragged; no concatenate-plus-lengths API):
integer arrays (T,) for ``emission="categorical"`` ((T, 1) columns, as hmmlearn takes them,
are read the same), float arrays (T, D) for ``"gaussian"``.
``fit(X)`` runs Baum–Welch (EM) with ``n_init`` random restarts and keeps the best;
``fit(X, y)`` with state sequences ``y`` is supervised maximum likelihood with additive
``smoothing``. Learned attributes end with ``_``: ``startprob_`` (K,), ``transmat_`` (K, K),
``emissionprob_`` (K, V) or ``means_``/``covars_`` (K, D), ``monitor_`` (log-likelihood per EM
iteration, never decreasing), ``converged_``.
"""

from __future__ import annotations

import logging

import numpy as np

from rnnkit.errors import ConfigError, DataError
from rnnkit.hmm import algorithms as alg
from rnnkit.hmm.emissions import Categorical, Emission, Gaussian

log = logging.getLogger(__name__)


class HiddenMarkovModel:
    """Hidden Markov model with categorical or diagonal-Gaussian emissions (see module doc)."""

    def __init__(self, n_states: int, emission: str = "categorical", *, n_iter: int = 100,
                 tol: float = 1e-4, n_init: int = 1, smoothing: float = 0.0,
                 random_state: int | None = None) -> None:
        if n_states < 1:
            raise ConfigError(f"n_states must be ≥ 1, got {n_states}")
        if emission not in ("categorical", "gaussian"):
            raise ConfigError(f"emission must be categorical or gaussian, got {emission!r}")
        self.n_states, self.emission, self.n_iter, self.tol = n_states, emission, n_iter, tol
        self.n_init, self.smoothing, self.random_state = n_init, smoothing, random_state

    # --- fitting -----------------------------------------------------------------------
    def _new_emission(self) -> Emission:
        return Categorical(smoothing=self.smoothing) if self.emission == "categorical" else Gaussian()

    def fit(self, X: list, y: list | None = None) -> HiddenMarkovModel:
        X = self._check(X)
        if y is not None:
            return self._fit_supervised(X, [np.asarray(s, dtype=np.int64) for s in y])
        rng = np.random.default_rng(self.random_state)
        best = None
        for _ in range(self.n_init):
            cand = self._em(X, rng)
            if best is None or cand[3][-1] > best[3][-1]:
                best = cand
        self.startprob_, self.transmat_, self._emission, self.monitor_ = best
        self.converged_ = len(self.monitor_) < self.n_iter or (
            len(self.monitor_) > 1 and self.monitor_[-1] - self.monitor_[-2] < self.tol)
        self._publish()
        return self

    def _em(self, X, rng):
        K = self.n_states
        pi, A = rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K), K)
        emission = self._new_emission()
        emission.init_random(X, K, rng)
        monitor: list[float] = []
        for _ in range(self.n_iter):
            counts = alg.expected_counts(pi, A, emission.frames(X))
            monitor.append(counts.loglik)
            pi = counts.start / counts.start.sum()
            A = counts.trans / np.maximum(counts.trans.sum(1, keepdims=True), 1e-300)
            emission.fit_weighted(X, counts.gamma)
            if len(monitor) > 1 and monitor[-1] - monitor[-2] < self.tol:
                break
        log.info("EM stopped after %d iterations, log-likelihood %.4f", len(monitor), monitor[-1])
        return pi, A, emission, monitor

    def _fit_supervised(self, X, y):
        K = self.n_states
        if len(X) != len(y) or any(len(a) != len(b) for a, b in zip(X, y, strict=True)):
            raise DataError("each observation sequence needs a state sequence of the same length")
        if any(s.min() < 0 or s.max() >= K for s in y):
            raise DataError(f"states must lie in 0..{K - 1}")
        start = np.full(K, self.smoothing)
        trans = np.full((K, K), self.smoothing)
        for s in y:
            start[s[0]] += 1
            np.add.at(trans, (s[:-1], s[1:]), 1)
        self.startprob_ = start / start.sum()
        self.transmat_ = trans / np.maximum(trans.sum(1, keepdims=True), 1e-300)
        self._emission = self._new_emission()
        if isinstance(self._emission, Categorical):
            self._emission.emissionprob = np.zeros((K, self._emission._symbols(X)))
        else:
            self._emission.init_random(X, K, np.random.default_rng(0))
        self._emission.fit_weighted(X, [np.eye(K)[s] for s in y])
        self.monitor_, self.converged_ = [], True
        self._publish()
        return self

    def _publish(self) -> None:
        if isinstance(self._emission, Categorical):
            self.emissionprob_ = self._emission.emissionprob
        else:
            self.means_, self.covars_ = self._emission.means, self._emission.covars

    # --- inference ---------------------------------------------------------------------
    def _check(self, X) -> list[np.ndarray]:
        if isinstance(X, np.ndarray) and X.dtype != object:
            X = [X]
        X = [np.asarray(x) for x in X]
        if not X or any(len(x) == 0 for x in X):
            raise DataError("X must be a non-empty list of non-empty sequences")
        if self.emission == "categorical":  # (T, 1) columns, as hmmlearn takes them, are (T,)
            X = [x[:, 0] if x.ndim == 2 and x.shape[1] == 1 else x for x in X]
        top = 1 if self.emission == "categorical" else 2
        bad = next((x.shape for x in X if x.ndim > top), None)
        if bad is not None:
            want = "(T,) or (T, 1) symbols" if top == 1 else "(T,) or (T, D) values"
            raise DataError(f"{self.emission} observations are sequences of shape {want}; got {bad}")
        return X

    def _frames(self, X):
        if not hasattr(self, "startprob_"):
            raise ConfigError("this HiddenMarkovModel is not fitted yet; call fit first")
        return self._emission.frames(self._check(X))

    def score(self, X) -> float:
        """Total log-likelihood Σ_n log p(O_n)."""
        frames = self._frames(X)
        return float(alg.log_likelihood(self.startprob_, self.transmat_, frames).sum())

    def decode(self, X) -> tuple[float, list[np.ndarray]]:
        """Viterbi: (total log-probability of the best paths, the paths)."""
        frames = self._frames(X)
        paths, logp = alg.viterbi(self.startprob_, self.transmat_, frames)
        return float(logp.sum()), paths

    def predict(self, X) -> list[np.ndarray]:
        return self.decode(X)[1]

    def predict_proba(self, X) -> list[np.ndarray]:
        """Posterior state probabilities γ per sequence, each (T_n, K)."""
        frames = self._frames(X)
        return alg.posteriors(self.startprob_, self.transmat_, frames)[0]

    def sample(self, n_steps: int, random_state: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw (observations, states) of length ``n_steps``."""
        rng = np.random.default_rng(random_state)
        states = alg.sample(self.startprob_, self.transmat_, n_steps, rng)
        return np.stack([self._emission.sample(s, rng) for s in states]), states

    def n_parameters(self) -> int:
        K = self.n_states
        return (K - 1) + K * (K - 1) + self._emission.n_parameters()

    def aic(self, X) -> float:
        return -2 * self.score(X) + 2 * self.n_parameters()

    def bic(self, X) -> float:
        n = sum(len(x) for x in self._check(X))
        return -2 * self.score(X) + self.n_parameters() * np.log(n)
