"""One simple-RNN layer direction, forward and backward, as compiled loops on torch's threads.

``team.run(team.entry(ENTRIES, (loop, itemsize)), P, …)`` runs a loop on P threads; thread p
of P takes the sequences b0..b1 (``team.rows``):

    forward   every step t:  Z = X_t W_x + H_{t−1} W_h   (two GEMMs on its rows, ``blas``, into
                             the rows of H_t; the second skipped at t = 0 when H_0 = 0)
                             H_t = f(Z + b)
    backward  t = T−1 … 0:   dZ_t = ∂E/∂H_t ⊙ f′, with f′ from H_t (tanh: 1 − H², ReLU:
                             [H > 0], …); then ∂E/∂H_{t−1} += dZ_t W_hᵀ  (one GEMM)

then the weight gradients and ∂E/∂X are ``team_grads``'. f is one of ``ACTIVATIONS`` (index
``act``). Buffers (time-major, C-contiguous numpy views of torch tensors): X (T, B, D),
W_x (D, H), bias (H,), W_h (H, H), Hs (T+1, B, H) states H_0..H_T; DH (2, B, H) ∂E/∂H in
two alternating slots (``fused_steps``' convention), d_out (T, B, H) output gradients (zero
at pads), dZ (T, B, H). Padded steps keep the state and pass ∂E/∂H through (dZ = 0).

Shape legend: B batch, T time, D input, H hidden; P threads.
"""

from __future__ import annotations

import numba
import numpy as np

from rnnkit.nn import blas, team
from rnnkit.nn.fused_steps import start_row
from rnnkit.nn.numba_math import VECTOR, copy_, sigmoid_add_, tanh_add_
from rnnkit.nn.team import arg, rows

ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "elu", "identity")  # leaky slope 0.1


@numba.njit(cache=True, nogil=True, **VECTOR)
def _activate(z, bias, act):
    """z ← f(z + b) in place (one sequence's row)."""
    H = z.shape[0]
    if act == 0:
        tanh_add_(z, bias)
    elif act == 2:
        sigmoid_add_(z, bias)
    else:
        for j in range(H):
            v = z[j] + bias[j]
            if act == 1:
                z[j] = max(v, 0)
            elif act == 3:
                z[j] = v if v > 0 else 0.1 * v
            elif act == 4:
                z[j] = v if v > 0 else np.expm1(v)
            else:  # identity
                z[j] = v


@numba.njit(cache=True, nogil=True, **VECTOR)
def _derivative(dz, h, dh, act, one):
    """dz = dh ⊙ f′ (one row), f′ expressed through the output h = f(z); ``one`` is 1 in
    the arrays' dtype (keeps float32 arithmetic in float32)."""
    H = dz.shape[0]
    if act == 0:
        for j in range(H):
            dz[j] = dh[j] * (one - h[j] * h[j])
    elif act == 2:
        for j in range(H):
            dz[j] = dh[j] * h[j] * (one - h[j])
    elif act == 5:
        copy_(dz, dh)
    else:
        for j in range(H):
            v = h[j]
            if act == 1:
                dz[j] = dh[j] if v > 0 else 0
            elif act == 3:
                dz[j] = dh[j] if v > 0 else 0.1 * dh[j]
            else:  # elu: f′ = f + 1 below 0
                dz[j] = dh[j] if v > 0 else dh[j] * (v + one)


@numba.njit(cache=True, nogil=True, **VECTOR)
def forward(p, P, X, W_x, bias, W_h, Hs, lens, act, zero_h0):
    """Thread p's sequences through the forward loop (module docstring)."""
    T, B, D = X.shape
    H = W_h.shape[0]
    b0, b1 = rows(p, P, B)
    if b0 == b1:
        return
    previous = blas.set_local_threads(1)
    for t in range(T):
        z = Hs[t + 1, b0:].reshape(-1)
        blas.gemm(False, False, b1 - b0, H, D, X[t, b0:].reshape(-1), D, W_x.reshape(-1), H, 0.0, z, H)
        if t > 0 or not zero_h0:
            blas.gemm(False, False, b1 - b0, H, H, Hs[t, b0:].reshape(-1), H, W_h.reshape(-1), H, 1.0, z, H)
        for b in range(b0, b1):
            if t >= lens[b]:  # padded step: keep the state
                copy_(Hs[t + 1, b], Hs[t, b])
            else:
                _activate(Hs[t + 1, b], bias, act)
    blas.set_local_threads(previous)


@numba.njit(cache=True, nogil=True, **VECTOR)
def backward(p, P, Hs, DH, d_out, dZ, lens, W_h, act, need_dh0):
    """Thread p's sequences through the BPTT loop, T−1 down to 0. DH[1 − (T−1) % 2] holds
    ∂E/∂H_{T−1} on entry, DH[0] ∂E/∂H_0 on exit (without the last matmul unless
    ``need_dh0``)."""
    T, B, H = dZ.shape
    b0, b1 = rows(p, P, B)
    if b0 == b1:
        return
    one = np.ones(1, dZ.dtype)[0]
    previous = blas.set_local_threads(1)
    for t in range(T - 1, -1, -1):
        for b in range(b0, b1):
            if not start_row(t, b, DH, d_out, dZ[t, b], lens):
                _derivative(dZ[t, b], Hs[t + 1, b], DH[1 - t % 2, b], act, one)
        if t > 0 or need_dh0:  # ∂E/∂H_{t−1} += dZ_t W_hᵀ
            blas.gemm(False, True, b1 - b0, H, H, dZ[t, b0:].reshape(-1), H, W_h.reshape(-1), H, 1.0,
                      DH[t % 2, b0:].reshape(-1), H)
    blas.set_local_threads(previous)


@numba.njit(cache=True, nogil=True)
def _forward_frame(pointer, like):
    s, (p, P) = team.slots_of(pointer), team.me()
    forward(p, P, arg(s, 0, like), arg(s, 1, like)[0], arg(s, 2, like)[0, 0], arg(s, 3, like)[0],
            arg(s, 4, like), team.i64(s, 5), team.value(s, 6), team.value(s, 7) != 0)


@numba.njit(cache=True, nogil=True)
def _backward_frame(pointer, like):
    s, (p, P) = team.slots_of(pointer), team.me()
    backward(p, P, arg(s, 0, like), arg(s, 1, like), arg(s, 2, like), arg(s, 3, like), team.i64(s, 4),
             arg(s, 5, like)[0], team.value(s, 6), team.value(s, 7) != 0)


def _forward_f32(pointer):
    _forward_frame(pointer, team.F32)


def _forward_f64(pointer):
    _forward_frame(pointer, team.F64)


def _backward_f32(pointer):
    _backward_frame(pointer, team.F32)


def _backward_f64(pointer):
    _backward_frame(pointer, team.F64)


# Entry points for ``team.entry``, by (loop, itemsize). Frames: forward (X, W_x, bias, W_h, Hs,
# lens, act, zero_h0); backward (Hs, DH, d_out, dZ, lens, W_h, act, need_dh0).
ENTRIES = {("forward", 4): _forward_f32, ("forward", 8): _forward_f64,
           ("backward", 4): _backward_f32, ("backward", 8): _backward_f64}
