"""HMM recursions as pure functions, batched over ragged sequences.

    p(S, O) = p(S_1) Π_t p(S_t | S_{t−1}) Π_t p(O_t | S_t)

Every function takes the model as ``startprob`` π (K,) and ``transmat`` A (K, K) (rows sum
to one) and the observations already turned into *emission frames*: a list of N arrays
(T_n, K) of log p(O_t | S_t = k), one per sequence (``emissions.py`` makes them; a tagger can
make its own). Sequences may have different lengths; internally they are padded to
(N, T_max, K) and masked, so every step is one vectorised operation over all sequences.

Numerics: forward/backward use Rabiner's scaling in probability space (per-step
normalisers c_t, log p(O) = Σ_t log c_t), after subtracting each frame's max log-emission,
so they are stable for T = 100,000; Viterbi works in log space.
Shape legend: N sequences, T time, K states.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

Frames = list[np.ndarray]


class Padded(NamedTuple):
    """Frames padded to (N, T, K): ``E`` = exp(log-emission − max) (1 at pads), ``shift`` the
    subtracted max (N, T) (0 at pads), ``mask`` (N, T) True at valid steps, ``lengths`` (N,)."""

    E: np.ndarray
    shift: np.ndarray
    mask: np.ndarray
    lengths: np.ndarray


def pad_frames(frames: Frames) -> Padded:
    lengths = np.array([len(f) for f in frames], dtype=np.int64)
    if len(frames) == 0 or lengths.min() < 1:
        raise ValueError("every sequence needs at least one observation")
    N, T, K = len(frames), int(lengths.max()), frames[0].shape[1]
    L = np.zeros((N, T, K))
    for n, f in enumerate(frames):
        L[n, : len(f)] = f
    mask = np.arange(T)[None, :] < lengths[:, None]  # (N, T)
    shift = np.where(mask, L.max(-1), 0.0)  # (N, T)
    with np.errstate(invalid="ignore"):
        E = np.exp(L - shift[..., None])  # (N, T, K) in [0, 1]
    E[~mask] = 1.0
    return Padded(E, shift, mask, lengths)


class ForwardResult(NamedTuple):
    alpha: np.ndarray   # (N, T, K) scaled: Σ_k alpha[n, t, k] = 1 at valid steps
    scale: np.ndarray   # (N, T) normalisers c_t (1 at pads)
    loglik: np.ndarray  # (N,) log p(O_n)


def forward(startprob: np.ndarray, transmat: np.ndarray, frames: Frames | Padded) -> ForwardResult:
    """Scaled forward recursion: α_1 = π ⊙ b_1, α_t = (α_{t−1} A) ⊙ b_t, normalised each step."""
    P = frames if isinstance(frames, Padded) else pad_frames(frames)
    N, T, K = P.E.shape
    alpha, scale = np.empty((N, T, K)), np.ones((N, T))
    a = startprob[None, :] * P.E[:, 0]  # (N, K)
    for t in range(T):
        if t > 0:
            a = (alpha[:, t - 1] @ transmat) * P.E[:, t]  # (N, K)
        c = a.sum(-1)  # (N,)
        c = np.where(P.mask[:, t], c, 1.0)
        a = a / np.where(c > 0, c, 1.0)[:, None]
        if t > 0:
            a = np.where(P.mask[:, t, None], a, alpha[:, t - 1])
        alpha[:, t], scale[:, t] = a, c
    with np.errstate(divide="ignore"):
        loglik = (np.log(scale) + P.shift).sum(-1)
    return ForwardResult(alpha, scale, loglik)


def backward(transmat: np.ndarray, frames: Frames | Padded, scale: np.ndarray) -> np.ndarray:
    """Scaled backward recursion with the forward pass's normalisers: β (N, T, K)."""
    P = frames if isinstance(frames, Padded) else pad_frames(frames)
    N, T, K = P.E.shape
    beta = np.ones((N, T, K))
    for t in range(T - 2, -1, -1):
        b = ((P.E[:, t + 1] * beta[:, t + 1]) @ transmat.T) / scale[:, t + 1, None]  # (N, K)
        beta[:, t] = np.where(P.mask[:, t + 1, None], b, 1.0)  # last valid step keeps β = 1
    return beta


def posteriors(startprob: np.ndarray, transmat: np.ndarray, frames: Frames) -> tuple[Frames, np.ndarray]:
    """Forward–backward: γ_t(k) = p(S_t = k | O) per sequence (list of (T_n, K)), and log p(O)."""
    P = pad_frames(frames)
    fw = forward(startprob, transmat, P)
    gamma = fw.alpha * backward(transmat, P, fw.scale)  # (N, T, K)
    gamma /= gamma.sum(-1, keepdims=True)
    return [gamma[n, :length] for n, length in enumerate(P.lengths)], fw.loglik


def log_likelihood(startprob: np.ndarray, transmat: np.ndarray, frames: Frames) -> np.ndarray:
    """log p(O_n) for every sequence: (N,)."""
    return forward(startprob, transmat, frames).loglik


def _log(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(x)


def viterbi(startprob: np.ndarray, transmat: np.ndarray, frames: Frames) -> tuple[list[np.ndarray], np.ndarray]:
    """Most probable state path per sequence and its log-probability: (paths, (N,))."""
    lengths = np.array([len(f) for f in frames])
    N, T, K = len(frames), int(lengths.max()), frames[0].shape[1]
    L = np.zeros((N, T, K))
    for n, f in enumerate(frames):
        L[n, : len(f)] = f
    logA = _log(transmat)
    delta = _log(startprob)[None, :] + L[:, 0]  # (N, K)
    back = np.zeros((N, T, K), dtype=np.int32)
    for t in range(1, T):
        scores = delta[:, :, None] + logA[None]  # (N, K_prev, K)
        best = scores.argmax(1)  # (N, K)
        new = np.take_along_axis(scores, best[:, None, :], 1)[:, 0] + L[:, t]
        active = (t < lengths)[:, None]
        delta = np.where(active, new, delta)
        back[:, t] = best
    last = delta.argmax(-1)  # (N,)
    logprob = delta[np.arange(N), last]
    paths = []
    for n in range(N):
        path = np.empty(lengths[n], dtype=np.int64)
        path[-1] = last[n]
        for t in range(lengths[n] - 1, 0, -1):
            path[t - 1] = back[n, t, path[t]]
        paths.append(path)
    return paths, logprob


class Counts(NamedTuple):
    """Expected sufficient statistics of one E-step (Baum–Welch)."""

    start: np.ndarray     # (K,) Σ_n γ_1
    trans: np.ndarray     # (K, K) Σ_n Σ_t ξ_t
    gamma: Frames         # per sequence (T_n, K)
    loglik: float         # Σ_n log p(O_n)


def expected_counts(startprob: np.ndarray, transmat: np.ndarray, frames: Frames) -> Counts:
    """E-step: γ and ξ summed over sequences and time, vectorised over sequences."""
    P = pad_frames(frames)
    fw = forward(startprob, transmat, P)
    beta = backward(transmat, P, fw.scale)
    gamma = fw.alpha * beta
    gamma /= gamma.sum(-1, keepdims=True)
    trans = np.zeros_like(transmat)
    for t in range(1, P.E.shape[1]):
        w = (P.E[:, t] * beta[:, t]) / fw.scale[:, t, None] * P.mask[:, t, None]  # (N, K)
        trans += fw.alpha[:, t - 1].T @ w  # Σ_n α_{t−1}(i) b_t(j) β_t(j) / c_t
    trans *= transmat
    return Counts(gamma[:, 0].sum(0), trans, [gamma[n, :m] for n, m in enumerate(P.lengths)],
                  float(fw.loglik.sum()))


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
