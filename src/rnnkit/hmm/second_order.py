"""Second-order (trigram) HMM decoding: p(S_t | S_{t−2}, S_{t−1}).

    δ_t(j, k) = max_i [δ_{t−1}(i, j) + log A(i, j, k)] + log b_t(k)

States at the start are padded with a boundary symbol ``BOS`` = K (index K of the first two
axes of ``log_trans`` (K+1, K+1, K)), so p(S_1 | BOS, BOS) and p(S_2 | BOS, S_1) are ordinary
entries. Cost O(T·K³) per sequence; numba-compiled, sequences in parallel.
Shape legend: N sequences, T time, K states.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def _viterbi2(log_trans, L, offsets):  # pragma: no cover - compiled
    K = L.shape[1]
    S = K + 1
    N = len(offsets) - 1
    paths = np.zeros(L.shape[0], dtype=np.int64)
    back = np.zeros((L.shape[0], S, K), dtype=np.int64)
    for n in prange(N):
        a, b = offsets[n], offsets[n + 1]
        delta = np.full((S, S), -np.inf)
        delta[K, K] = 0.0  # (BOS, BOS)
        new = np.empty((S, S))
        for r in range(a, b):
            new[:, :] = -np.inf
            for j in range(S):
                for k in range(K):
                    best, arg = -np.inf, 0
                    for i in range(S):
                        s = delta[i, j] + log_trans[i, j, k]
                        if s > best:
                            best, arg = s, i
                    new[j, k] = best + L[r, k]
                    back[r, j, k] = arg
            delta[:, :] = new
        bj, bk, best = 0, 0, -np.inf
        for j in range(S):
            for k in range(K):
                if delta[j, k] > best:
                    best, bj, bk = delta[j, k], j, k
        paths[b - 1] = bk
        if b - 2 >= a:
            paths[b - 2] = bj
        for r in range(b - 1, a + 1, -1):
            paths[r - 2] = back[r, paths[r - 1], paths[r]]
    return paths


def viterbi2(log_trans: np.ndarray, frames: list[np.ndarray]) -> list[np.ndarray]:
    """Best state path per sequence under a second-order chain (see module doc)."""
    lengths = np.array([len(f) for f in frames], dtype=np.int64)
    if len(frames) == 0 or lengths.min() < 1:
        raise ValueError("every sequence needs at least one observation")
    L = np.ascontiguousarray(np.concatenate(frames), dtype=np.float64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    paths = _viterbi2(np.ascontiguousarray(log_trans, dtype=np.float64), L, offsets)
    return [paths[offsets[n]:offsets[n + 1]] for n in range(len(frames))]
