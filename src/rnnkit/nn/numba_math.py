"""In-place σ and tanh, and small matrix products, for the compiled (numba) time loops.

Without Intel's SVML, numba calls libm once per element for ``exp`` and ``tanh`` (σ ~4 ns,
tanh ~10 ns here): in a small LSTM (B=1, H=64) that was most of a forward step. For float32 these
functions use instead a polynomial ``exp`` written with arithmetic only, so that LLVM
vectorises the loop (~1 ns per element):

    eˣ = 2ⁿ · p(r),  n = ⌊x·log₂e + ½⌋,  r = x − n·ln 2  (ln 2 in two parts, Cody–Waite),

with Cephes' degree-7 polynomial p for ``expf`` (relative error ~6e-8 on [−87, 88]) and 2ⁿ
built from its exponent bits. Then σ(x) = 1/(1 + e⁻ˣ) and tanh(x) = 2/(1 + e⁻²ˣ) − 1; the
latter's absolute error is ~1e-7, within the 1e-5 that the backends are held to. float64
arrays use libm (``math.exp``, ``math.tanh``), so that ``gradcheck`` sees the exact functions.

``scratch`` is an int32 array at least as long as ``x`` (for the exponent bits).
"""

from __future__ import annotations

import math

import numba
import numpy as np

_f = np.float32
_LOG2E, _LN2_HI, _LN2_LO = _f(1.44269504088896341), _f(0.693359375), _f(-2.12194440e-4)
_P = tuple(_f(v) for v in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                           4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1))
_X_MAX, _X_MIN = _f(88.3762626647949), _f(-87.3365447504019)


@numba.njit(cache=True)
def exp_f32(x, scratch):
    """x ← eˣ in place (float32 x), inputs clamped to [−87.3, 88.4]."""
    n = x.shape[0]
    p0, p1, p2, p3, p4, p5 = _P
    for j in range(n):
        v = min(max(x[j], _X_MIN), _X_MAX)
        k = np.floor(v * _LOG2E + _f(0.5))
        r = v - k * _LN2_HI - k * _LN2_LO
        x[j] = (((((p0 * r + p1) * r + p2) * r + p3) * r + p4) * r + p5) * r * r + r + _f(1.0)
        scratch[j] = (np.int32(k) + np.int32(127)) << np.int32(23)  # the bits of 2ᵏ
    two_k = scratch[:n].view(np.float32)
    for j in range(n):
        x[j] *= two_k[j]


@numba.njit(cache=True)
def sigmoid_(x, scratch):
    """x ← σ(x) in place."""
    if x.itemsize == 4:
        for j in range(x.shape[0]):
            x[j] = -x[j]
        exp_f32(x, scratch)
        for j in range(x.shape[0]):
            x[j] = _f(1.0) / (_f(1.0) + x[j])
    else:
        for j in range(x.shape[0]):
            x[j] = 1.0 / (1.0 + math.exp(-x[j]))


@numba.njit(cache=True)
def tanh_(x, scratch):
    """x ← tanh(x) in place."""
    if x.itemsize == 4:
        for j in range(x.shape[0]):
            x[j] = _f(-2.0) * x[j]
        exp_f32(x, scratch)
        for j in range(x.shape[0]):
            x[j] = _f(2.0) / (_f(1.0) + x[j]) - _f(1.0)
    else:
        for j in range(x.shape[0]):
            x[j] = math.tanh(x[j])


@numba.njit(cache=True)
def add_mat_mat(V, W, out):
    """out += V W for V (B, K), W (K, N), out (B, N), as axpys along W's contiguous rows (a
    dot-product form would not vectorise without fastmath). Four rows of W per pass over each
    output row, so that it is loaded and stored K/4 times rather than K (0.85 against 2.6 µs
    at B=1, K=256, N=64), with the batch inside so that those rows stay in cache."""
    B = V.shape[0]
    K, N = W.shape
    k = 0
    while k + 4 <= K:
        w0, w1, w2, w3 = W[k], W[k + 1], W[k + 2], W[k + 3]
        for i in range(B):
            v, o = V[i], out[i]
            a, b, c, d = v[k], v[k + 1], v[k + 2], v[k + 3]
            for j in range(N):
                o[j] += a * w0[j] + b * w1[j] + c * w2[j] + d * w3[j]
        k += 4
    for r in range(k, K):  # the last K mod 4 rows
        w = W[r]
        for i in range(B):
            vr, o = V[i, r], out[i]
            for j in range(N):
                o[j] += vr * w[j]


@numba.njit(cache=True)
def copy_(dst, src):
    """dst ← src for C-contiguous arrays of the same size. ``dst[:] = src`` does the same, but
    numba compiles a shape-mismatch message for it that costs seconds on first use."""
    d, s = dst.reshape(dst.size), src.reshape(src.size)
    if d.size != s.size:
        raise ValueError("copy_: arrays differ in size")
    for j in range(d.size):
        d[j] = s[j]
