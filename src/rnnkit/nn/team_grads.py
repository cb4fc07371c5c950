"""The weight-gradient phase of the layer kernels (``team_kernels``) on torch's threads.

The recursion's gate gradients sum into the weight gradients over every step and sequence,
so this phase splits by time: thread p of P takes steps [t0, t1) (``team.rows``), whose rows
of the time-major (T, B, ·) buffers are one (n = (t1 − t0)·B)-row matrix, and computes with
one single-threaded GEMM each (``blas``):

    x_side:  dWx[p] = X[t0:t1]ᵀ dGx[t0:t1]          (D, Gx)  its share of ∂E/∂W_x = Σ_t X_tᵀ dGx_t
             db[p]  = Σ rows of dGx[t0:t1]          (Gx,)    its share of ∂E/∂b
             dX[t0:t1] = dGx[t0:t1] W_xᵀ            (n, D)   only if ``need_dx``
    h_side:  dWh[p] = A[t0:t1]ᵀ dGh[t0:t1, :, c:c+w]  (K, w)  its share of Σ_t A_tᵀ dGh_t, with
             A = H_{t−1} (or the lecture GRU's R⊙H_{t−1}) and w = dWh.shape[2] columns of dGh
             from column c

The caller adds the P shares (a thread without steps writes zeros).

Shape legend: T time, B batch, D input, Gx = G·H gate columns, K = H; P threads.
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
def x_side(p, P, X, dGx, W_x, dWx, db, dX, need_dx):
    """Thread p's steps: its shares of ∂E/∂W_x and ∂E/∂b, and ∂E/∂X (module docstring)."""
    T, B, D = X.shape
    Gx = dGx.shape[2]
    t0, t1 = rows(p, P, T)
    n = (t1 - t0) * B  # rows of the flattened (T·B, ·) matrices
    share_x, share_b = dWx[p].reshape(-1), db[p]
    _zero(share_b)
    if n == 0:
        _zero(share_x)
        return
    g = dGx[t0:t1].reshape(-1)  # (n, Gx)
    previous = blas.set_local_threads(1)
    blas.gemm(True, False, D, Gx, n, X[t0:t1].reshape(-1), D, g, Gx, 0.0, share_x, Gx)
    if need_dx:
        blas.gemm(False, True, n, D, Gx, g, Gx, W_x.reshape(-1), Gx, 0.0, dX[t0:t1].reshape(-1), D)
    blas.set_local_threads(previous)
    rows_of_g = g.reshape(n, Gx)
    for r in range(n):
        row = rows_of_g[r]
        for j in range(Gx):
            share_b[j] += row[j]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def h_side(p, P, A, dGh, c, dWh):
    """Thread p's steps: its share of Σ_t A_tᵀ dGh_t[:, c:c+w] (module docstring)."""
    B, K = A.shape[1], A.shape[2]
    Gh, w = dGh.shape[2], dWh.shape[2]
    t0, t1 = rows(p, P, dGh.shape[0])
    n = (t1 - t0) * B
    share = dWh[p].reshape(-1)
    if n == 0:
        _zero(share)
        return
    previous = blas.set_local_threads(1)
    blas.gemm(True, False, K, w, n, A[t0:t1].reshape(-1), K, dGh[t0:t1].reshape(-1)[c:], Gh, 0.0, share, w)
    blas.set_local_threads(previous)


@numba.njit(cache=True, nogil=True)
def _x_side_frame(pointer, like):
    s, (p, P) = team.slots_of(pointer), team.me()
    x_side(p, P, arg(s, 0, like), arg(s, 1, like), arg(s, 2, like)[0], arg(s, 3, like), arg(s, 4, like)[0],
           arg(s, 5, like), team.value(s, 6) != 0)


@numba.njit(cache=True, nogil=True)
def _h_side_frame(pointer, like):
    s, (p, P) = team.slots_of(pointer), team.me()
    h_side(p, P, arg(s, 0, like), arg(s, 1, like), team.value(s, 2), arg(s, 3, like))


def _x_side_f32(pointer):
    _x_side_frame(pointer, team.F32)


def _x_side_f64(pointer):
    _x_side_frame(pointer, team.F64)


def _h_side_f32(pointer):
    _h_side_frame(pointer, team.F32)


def _h_side_f64(pointer):
    _h_side_frame(pointer, team.F64)


# Entry points for ``team.entry``, by (loop, itemsize). Frames: x_side (X, dGx, W_x, dWx, db,
# dX, need_dx); h_side (A, dGh, c, dWh).
ENTRIES = {("x_side", 4): _x_side_f32, ("x_side", 8): _x_side_f64,
           ("h_side", 4): _h_side_f32, ("h_side", 8): _h_side_f64}
