"""The weight-gradient phase of the layer kernels (``team_kernels``) on torch's threads.

The recursion's gate gradients sum into the weight gradients over every step and sequence,
so this phase splits by time: thread p of P takes steps [t0, t1) (``team.rows``), whose rows
of the time-major (T, B, ·) buffers are one (n = (t1 − t0)·B)-row matrix, and computes with
one single-threaded GEMM each (``blas``):

    dWx[p] = X[t0:t1]ᵀ dGx[t0:t1]      (D, Gx)    its share of ∂E/∂W_x = Σ_t X_tᵀ dGx_t
    dWh[p] = A[t0:t1]ᵀ dGh[t0:t1, :, :w]  (K, w)  its share of ∂E/∂W_h (A = H_{t−1}, or R⊙H_{t−1})
    db[p]  = Σ rows of dGx[t0:t1]      (Gx,)      its share of ∂E/∂b
    dX[t0:t1] = dGx[t0:t1] W_xᵀ        (n, D)     only if ``need_dx``

The caller adds the P shares (a thread without steps writes zeros). w = dWh.shape[2] ≤
dGh.shape[2]: the first w columns of dGh (the lecture GRU's R and Z blocks).

Shape legend: T time, B batch, D input, Gx = G·H gate columns; P threads.
"""

from __future__ import annotations

import numba

from rnnkit.nn import blas, team
from rnnkit.nn.team import arg, rows


@numba.njit(cache=True, nogil=True)
def _zero(a):
    for j in range(a.shape[0]):
        a[j] = 0


@numba.njit(cache=True, nogil=True, error_model="numpy")
def grads(p, P, X, dGx, A, dGh, W_x, dWx, dWh, db, dX, need_dx):
    """Thread p's time steps (module docstring)."""
    T, B, D = X.shape
    Gx, Gh, K, w = dGx.shape[2], dGh.shape[2], A.shape[2], dWh.shape[2]
    t0, t1 = rows(p, P, T)
    n = (t1 - t0) * B  # rows of the flattened (T·B, ·) matrices
    share_x, share_h, share_b = dWx[p].reshape(-1), dWh[p].reshape(-1), db[p]
    _zero(share_b)
    if n == 0:
        _zero(share_x)
        _zero(share_h)
        return
    gx, gh = dGx[t0:t1].reshape(-1), dGh[t0:t1].reshape(-1)  # (n, Gx), (n, Gh)
    previous = blas.set_local_threads(1)
    blas.gemm(True, False, D, Gx, n, X[t0:t1].reshape(-1), D, gx, Gx, 0.0, share_x, Gx)
    blas.gemm(True, False, K, w, n, A[t0:t1].reshape(-1), K, gh, Gh, 0.0, share_h, w)
    if need_dx:
        blas.gemm(False, True, n, D, Gx, gx, Gx, W_x.reshape(-1), Gx, 0.0, dX[t0:t1].reshape(-1), D)
    blas.set_local_threads(previous)
    g = gx.reshape(n, Gx)
    for r in range(n):
        row = g[r]
        for j in range(Gx):
            share_b[j] += row[j]


@numba.njit(cache=True, nogil=True)
def _grads_frame(pointer, like):
    s, (p, P) = team.slots_of(pointer), team.me()
    grads(p, P, arg(s, 0, like), arg(s, 1, like), arg(s, 2, like), arg(s, 3, like),
          arg(s, 4, like)[0], arg(s, 5, like), arg(s, 6, like), arg(s, 7, like)[0],
          arg(s, 8, like), team.value(s, 9) != 0)


def _grads_f32(pointer):
    _grads_frame(pointer, team.F32)


def _grads_f64(pointer):
    _grads_frame(pointer, team.F64)


ENTRIES = {4: _grads_f32, 8: _grads_f64}  # by itemsize; frame (X, dGx, A, dGh, W_x, dWx, dWh, db, dX, need_dx)
