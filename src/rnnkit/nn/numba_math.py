"""In-place σ and tanh, and small matrix products, for the compiled (numba) time loops.

Without Intel's SVML, numba calls libm once per element for ``exp`` and ``tanh`` (σ ~4 ns,
tanh ~10 ns here): in a small LSTM (B=1, H=64) that was most of a forward step. For float32 these
functions use instead a polynomial ``exp`` written with arithmetic only, in one loop that LLVM
vectorises:

    eˣ = 2ⁿ · p(r),  n = ⌊x·log₂e + ½⌋,  r = x − n·ln 2  (ln 2 in two parts, Cody–Waite),

with Cephes' degree-7 polynomial p for ``expf`` (relative error ~6e-8 on [−87, 88]) and 2ⁿ
built from its exponent bits (``_bits_to_f32``). Then σ(x) = 1/(1 + e⁻ˣ) and tanh(x) =
2/(1 + e⁻²ˣ) − 1; the latter's absolute error is ~2e-7, within the 1e-5 that the backends are
held to. Two compile options make the loops vectorise: ``error_model="numpy"`` (Python's
error model checks every float division for zero, a branch that keeps the loop scalar) and
``fastmath={"contract"}`` (fused multiply-adds; no other fast-math licence, so NaN still
propagates). On this project's development CPU (2 GHz) that took σ from 3.8–5.7 to 1.8–2.9
ns per element and tanh from 3.8–5.6 to 1.9–2.2 (the previous two-pass loops; three runs, a
100,000-element array); without ``error_model="numpy"`` a one-pass σ took 11 ns. float64 arrays use libm (``math.exp``, ``math.tanh``), so that ``gradcheck`` sees the exact
functions.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

_f = np.float32
_LOG2E, _LN2_HI, _LN2_LO = _f(1.44269504088896341), _f(0.693359375), _f(-2.12194440e-4)
_P0, _P1, _P2, _P3, _P4, _P5 = (_f(v) for v in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                                                4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1))
_X_MAX, _X_MIN = _f(88.3762626647949), _f(-87.3365447504019)
VECTOR = {"error_model": "numpy", "fastmath": {"contract"}}  # compile options: see the module docstring


@intrinsic
def _bits_to_f32(typingctx, bits):
    """The float32 whose bit pattern is the int32 ``bits`` (a bitcast, not a conversion)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float32))
    return types.float32(types.int32), codegen


@numba.njit(inline="always", **VECTOR)
def _expf(v):
    """eᵛ for a float32 v, clamped to [−87.3, 88.4] (NaN stays NaN)."""
    v = _X_MIN if v < _X_MIN else v
    v = _X_MAX if v > _X_MAX else v
    k = np.floor(v * _LOG2E + _f(0.5))
    r = v - k * _LN2_HI - k * _LN2_LO
    p = (((((_P0 * r + _P1) * r + _P2) * r + _P3) * r + _P4) * r + _P5) * r * r + r + _f(1.0)
    return p * _bits_to_f32((np.int32(k) + np.int32(127)) << np.int32(23))  # p · 2ᵏ


@numba.njit(cache=True, **VECTOR)
def sigmoid_(x):
    """x ← σ(x) in place (1-D)."""
    if x.itemsize == 4:
        for j in range(x.shape[0]):
            x[j] = _f(1.0) / (_f(1.0) + _expf(-x[j]))
    else:
        for j in range(x.shape[0]):
            x[j] = 1.0 / (1.0 + math.exp(-x[j]))


@numba.njit(cache=True, **VECTOR)
def tanh_(x):
    """x ← tanh(x) in place (1-D)."""
    if x.itemsize == 4:
        for j in range(x.shape[0]):
            x[j] = _f(2.0) / (_f(1.0) + _expf(_f(-2.0) * x[j])) - _f(1.0)
    else:
        for j in range(x.shape[0]):
            x[j] = math.tanh(x[j])


@numba.njit(cache=True, **VECTOR)
def sigmoid_add_(x, b):
    """x ← σ(x + b) in place (1-D, b as long as x): a bias added in the same pass."""
    if x.itemsize == 4:
        for j in range(x.shape[0]):
            x[j] = _f(1.0) / (_f(1.0) + _expf(-(x[j] + b[j])))
    else:
        for j in range(x.shape[0]):
            x[j] = 1.0 / (1.0 + math.exp(-(x[j] + b[j])))


@numba.njit(cache=True, **VECTOR)
def tanh_add_(x, b):
    """x ← tanh(x + b) in place (1-D, b as long as x)."""
    if x.itemsize == 4:
        for j in range(x.shape[0]):
            x[j] = _f(2.0) / (_f(1.0) + _expf(_f(-2.0) * (x[j] + b[j]))) - _f(1.0)
    else:
        for j in range(x.shape[0]):
            x[j] = math.tanh(x[j] + b[j])


@numba.njit(cache=True, **VECTOR)
def tanh_into(dst, src):
    """dst ← tanh(src) (1-D, same length)."""
    if dst.itemsize == 4:
        for j in range(dst.shape[0]):
            dst[j] = _f(2.0) / (_f(1.0) + _expf(_f(-2.0) * src[j])) - _f(1.0)
    else:
        for j in range(dst.shape[0]):
            dst[j] = math.tanh(src[j])


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
