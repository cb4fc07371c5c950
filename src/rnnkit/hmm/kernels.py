"""The HMM inner loops, compiled with numba (per sequence, per step, per state).

Pure functions over *concatenated* sequences: step r (of ΣT, all sequences one after
another; sequence n is steps ``offsets[n]:offsets[n+1]``) has the log-emissions in row
``rows[r]`` of the table ``L`` — for categorical emissions the table is log Bᵀ (V, K) and
``rows`` the symbols, so nothing (ΣT, K)-sized is built. Forward/backward work in probability space with per-step
scaling: at each step the emissions are exponentiated after subtracting their max
(``shift``), and the normaliser ``c_t`` is stored; log p(O) = Σ_t (log c_t + shift_t).
``algorithms.py`` wraps these; read it for the equations.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def scaled_emissions(L):  # pragma: no cover - compiled
    """E = exp(L − max_k L) row by row, and the shifts: (R, K), (R,)."""
    R, K = L.shape
    E = np.empty((R, K))
    shift = np.empty(R)
    for r in prange(R):
        m = L[r, 0]
        for k in range(1, K):
            m = max(m, L[r, k])
        if m == -np.inf:
            m = 0.0
        shift[r] = m
        for k in range(K):
            E[r, k] = np.exp(L[r, k] - m)
    return E, shift


@njit(cache=True, parallel=True)
def forward_scaled(pi, A, E, rows, offsets):  # pragma: no cover - compiled
    R, K = len(rows), E.shape[1]
    alpha = np.zeros((R, K))
    scale = np.ones(R)
    for n in prange(len(offsets) - 1):
        for r in range(offsets[n], offsets[n + 1]):
            c = 0.0
            for j in range(K):
                if r == offsets[n]:
                    s = pi[j]
                else:
                    s = 0.0
                    for i in range(K):
                        s += alpha[r - 1, i] * A[i, j]
                v = s * E[rows[r], j]
                alpha[r, j] = v
                c += v
            scale[r] = c
            if c > 0:
                for j in range(K):
                    alpha[r, j] /= c
    return alpha, scale


@njit(cache=True, parallel=True)
def backward_scaled(A, E, rows, scale, offsets):  # pragma: no cover - compiled
    R, K = len(rows), E.shape[1]
    beta = np.ones((R, K))
    for n in prange(len(offsets) - 1):
        for r in range(offsets[n + 1] - 2, offsets[n] - 1, -1):
            c = scale[r + 1]
            for i in range(K):
                s = 0.0
                for j in range(K):
                    s += A[i, j] * E[rows[r + 1], j] * beta[r + 1, j]
                beta[r, i] = s / c if c > 0 else 0.0
    return beta


@njit(cache=True)
def transition_counts(A, E, rows, alpha, beta, scale, offsets):  # pragma: no cover - compiled
    """Σ_n Σ_t ξ_t(i, j) with ξ_t(i, j) = α_{t−1}(i) A_ij b_t(j) β_t(j) / c_t."""
    K = E.shape[1]
    xi = np.zeros((K, K))
    for n in range(len(offsets) - 1):
        for r in range(offsets[n] + 1, offsets[n + 1]):
            c = scale[r]
            if c <= 0:
                continue
            for i in range(K):
                a = alpha[r - 1, i] / c
                for j in range(K):
                    xi[i, j] += a * A[i, j] * E[rows[r], j] * beta[r, j]
    return xi


@njit(cache=True, parallel=True)
def viterbi_paths(log_pi, log_AT, L, rows, offsets):  # pragma: no cover - compiled
    """Viterbi per sequence (sequences in parallel). ``log_AT`` is log Aᵀ: row j = log A[:, j].
    Step r's log-emissions are row ``rows[r]`` of ``L`` (a table shared by many steps)."""
    R, K = len(rows), L.shape[1]
    N = len(offsets) - 1
    paths = np.empty(R, dtype=np.int64)
    logprob = np.empty(N)
    back = np.empty((R, K), dtype=np.int32)  # every used entry is written before it is read
    for n in prange(N):
        a, b = offsets[n], offsets[n + 1]
        delta, new = np.empty(K), np.empty(K)
        for j in range(K):
            delta[j] = log_pi[j] + L[rows[a], j]
        for r in range(a + 1, b):
            for j in range(K):
                row = log_AT[j]
                best, arg = delta[0] + row[0], 0
                for i in range(1, K):
                    s = delta[i] + row[i]
                    if s > best:
                        best, arg = s, i
                new[j] = best + L[rows[r], j]
                back[r, j] = arg
            delta[:] = new
        last = 0
        for j in range(1, K):
            if delta[j] > delta[last]:
                last = j
        logprob[n] = delta[last]
        paths[b - 1] = last
        for r in range(b - 1, a, -1):
            paths[r - 1] = back[r, paths[r]]
    return paths, logprob
