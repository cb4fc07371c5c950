"""HMM recursions as pure functions, batched over ragged sequences.

    p(S, O) = p(S_1) Π_t p(S_t | S_{t−1}) Π_t p(O_t | S_t)

Every function takes the model as ``startprob`` π (K,) and ``transmat`` A (K, K) (rows sum
to one) and the observations already turned into *emission frames*: a list of N arrays
(T_n, K) of log p(O_t | S_t = k), one per sequence (``emissions.py`` makes them; a tagger can
make its own). Sequences may have different lengths.

    forward:   α_1 = π ⊙ b_1,  α_t = (α_{t−1} A) ⊙ b_t,  c_t = Σ_k α_t(k),  α_t ← α_t / c_t
    backward:  β_T = 1,        β_t = A (b_{t+1} ⊙ β_{t+1}) / c_{t+1}
    posterior: γ_t = α_t ⊙ β_t;   ξ_t(i, j) = α_{t−1}(i) A_ij b_t(j) β_t(j) / c_t
    viterbi:   δ_t(j) = max_i [δ_{t−1}(i) + log A_ij] + log b_t(j), then back-pointers

Numerics: Rabiner's scaling in probability space (log p(O) = Σ_t log c_t) after subtracting
each frame's max log-emission, so forward/backward are stable for T = 100,000; Viterbi works
in log space. The loops are compiled with numba (``kernels.py``); this module holds the
equations and the bookkeeping. Shape legend: N sequences, T time, K states.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnkit.hmm import kernels


class FrameBatch(NamedTuple):
    """Emission frames of N sequences, concatenated: step r (of ΣT) has log-emissions
    ``L[rows[r]]`` (K,); sequence n is steps offsets[n]:offsets[n+1]. ``rows`` lets many steps
    share a table row (categorical: ``L`` = log Bᵀ, ``rows`` = the symbols).
    Every function accepts this or a plain list of (T_n, K) arrays."""

    L: np.ndarray
    offsets: np.ndarray
    rows: np.ndarray

    @classmethod
    def from_list(cls, frames: list[np.ndarray]) -> FrameBatch:
        lengths = np.array([len(f) for f in frames], dtype=np.int64)
        if len(frames) == 0 or lengths.min() < 1:
            raise ValueError("every sequence needs at least one observation")
        L = np.ascontiguousarray(np.concatenate(frames), dtype=np.float64)
        return cls(L, np.concatenate([[0], np.cumsum(lengths)]), np.arange(len(L)))

    def split(self, a: np.ndarray) -> list[np.ndarray]:
        o = self.offsets
        return [a[o[n]:o[n + 1]] for n in range(len(o) - 1)]


Frames = list[np.ndarray] | FrameBatch  # noqa: UP007


def as_batch(frames: Frames) -> FrameBatch:
    return frames if isinstance(frames, FrameBatch) else FrameBatch.from_list(frames)


class Stacked(NamedTuple):
    """A frame batch with its table scaled: ``E`` = exp(L − shift) row-wise, ``shift`` per row."""

    batch: FrameBatch
    E: np.ndarray
    shift: np.ndarray

    @property
    def offsets(self) -> np.ndarray:
        return self.batch.offsets

    @property
    def rows(self) -> np.ndarray:
        return self.batch.rows

    def split(self, a: np.ndarray) -> list[np.ndarray]:
        return self.batch.split(a)


def stack_frames(frames: Frames) -> Stacked:
    batch = as_batch(frames)
    E, shift = kernels.scaled_emissions(np.ascontiguousarray(batch.L, dtype=np.float64))
    return Stacked(batch, E, shift)


def _f64(x) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64)


def _log(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(x)


class ForwardResult(NamedTuple):
    alpha: np.ndarray   # (ΣT, K) scaled: Σ_k α_t(k) = 1
    scale: np.ndarray   # (ΣT,) normalisers c_t
    loglik: np.ndarray  # (N,) log p(O_n)


def _forward(startprob, transmat, S: Stacked) -> ForwardResult:
    alpha, scale = kernels.forward_scaled(_f64(startprob), _f64(transmat), S.E, S.rows, S.offsets)
    per_step = _log(scale) + S.shift[S.rows]
    loglik = np.add.reduceat(per_step, S.offsets[:-1])
    return ForwardResult(alpha, scale, loglik)


def forward(startprob: np.ndarray, transmat: np.ndarray, frames: Frames) -> tuple[Frames, np.ndarray]:
    """Scaled forward variables α per sequence (list of (T_n, K)) and log p(O_n) (N,)."""
    S = stack_frames(frames)
    fw = _forward(startprob, transmat, S)
    return S.split(fw.alpha), fw.loglik


def backward(startprob: np.ndarray, transmat: np.ndarray, frames: Frames) -> Frames:
    """Scaled backward variables β per sequence (list of (T_n, K))."""
    S = stack_frames(frames)
    fw = _forward(startprob, transmat, S)
    return S.split(kernels.backward_scaled(_f64(transmat), S.E, S.rows, fw.scale, S.offsets))


def log_likelihood(startprob: np.ndarray, transmat: np.ndarray, frames: Frames) -> np.ndarray:
    """log p(O_n) for every sequence: (N,)."""
    return _forward(startprob, transmat, stack_frames(frames)).loglik


class Counts(NamedTuple):
    """Expected sufficient statistics of one E-step (Baum–Welch)."""

    start: np.ndarray     # (K,) Σ_n γ_1
    trans: np.ndarray     # (K, K) Σ_n Σ_t ξ_t
    gamma: Frames         # per sequence (T_n, K)
    loglik: float         # Σ_n log p(O_n)


def expected_counts(startprob: np.ndarray, transmat: np.ndarray, frames: Frames) -> Counts:
    """E-step: posteriors γ and transition counts Σ ξ, in one forward–backward pass."""
    S = stack_frames(frames)
    fw = _forward(startprob, transmat, S)
    beta = kernels.backward_scaled(_f64(transmat), S.E, S.rows, fw.scale, S.offsets)
    gamma = fw.alpha * beta
    gamma /= np.maximum(gamma.sum(-1, keepdims=True), 1e-300)
    trans = kernels.transition_counts(_f64(transmat), S.E, S.rows, fw.alpha, beta, fw.scale, S.offsets)
    return Counts(gamma[S.offsets[:-1]].sum(0), trans, S.split(gamma), float(fw.loglik.sum()))


def posteriors(startprob: np.ndarray, transmat: np.ndarray, frames: Frames) -> tuple[Frames, np.ndarray]:
    """Forward–backward: γ_t(k) = p(S_t = k | O) per sequence (list of (T_n, K)), and log p(O)."""
    c = expected_counts(startprob, transmat, frames)
    return c.gamma, log_likelihood(startprob, transmat, frames) if len(c.gamma) else np.zeros(0)


def viterbi(startprob: np.ndarray, transmat: np.ndarray, frames: Frames) -> tuple[list[np.ndarray], np.ndarray]:
    """Most probable state path per sequence and its log-probability: (paths, (N,))."""
    batch = as_batch(frames)
    paths, logprob = kernels.viterbi_paths(_log(_f64(startprob)), _f64(_log(_f64(transmat)).T),
                                           _f64(batch.L), batch.rows, batch.offsets)
    return batch.split(paths), logprob


def sample(startprob: np.ndarray, transmat: np.ndarray, n_steps: int,
           rng: np.random.Generator) -> np.ndarray:
    """A state path of ``n_steps`` drawn from the Markov chain (emissions drawn by the caller)."""
    states = np.empty(n_steps, dtype=np.int64)
    states[0] = rng.choice(len(startprob), p=startprob)
    cum = np.cumsum(transmat, 1)
    u = rng.random(n_steps)
    for t in range(1, n_steps):
        states[t] = min(int(np.searchsorted(cum[states[t - 1]], u[t], side="right")), len(startprob) - 1)
    return states
