"""One LSTM layer direction, forward and backward, as compiled loops on torch's threads.

``team.run(team.entry(ENTRIES, (loop, itemsize)), P, …)`` runs a loop on P threads; thread p
of P takes a block of sequences:

    forward         (sequences b0..b1, ``team.rows``), every step t:
                    G = X_t W_x + H_{t−1} W_h            (two GEMMs on its rows, ``blas``; the
                                                          second skipped at t = 0 when H_0 = 0)
                    I F O = σ(G + b), C̃ = tanh(·); C_t = F⊙C_{t−1} + I⊙C̃, tanh(C_t),
                    H_t = O⊙tanh(C_t)
    backward        (sequences b0..b1), t = T−1 … 0:
                    dG_t = ∂E/∂(pre-activations), the lecture's recursion from ∂E/∂H_t and
                    ∂E/∂C_t; then ∂E/∂H_{t−1} += dG_t W_hᵀ   (one GEMM on its rows)

then the weight gradients dW_x = Σ X_tᵀ dG_t, dW_h = Σ H_{t−1}ᵀ dG_t, db = Σ dG_t and ∂E/∂X
are ``team_grads``' (a block of time steps per thread).

There is no input projection before the loop: each step's X_t W_x is a GEMM on the thread's
rows like H_{t−1} W_h, which saves writing and re-reading a (T, B, 4H) buffer. The buffers
(time-major, C-contiguous numpy views of torch tensors): X (T, B, D) input, W_x (D, 4H),
bias (4H,), W_h (H, 4H), gates I F O C̃; Hs, Cs (T+1, B, H) states H_0..H_T, C_0..C_T, TC
(T, B, H) tanh(C_t), gates (T, B, 4H) activated; DH (2, B, H) ∂E/∂H in two alternating
slots (``fused_steps``' convention), dc (B, H) ∂E/∂C, d_out (T, B, H) output gradients
(zero at pads), dG (T, B, 4H). Padded steps (t ≥ lens[b]) keep the state and pass ∂E/∂H, ∂E/∂C through, with
zero gate gradients. The element-wise work runs as short loops over one or two arrays, which
LLVM vectorises (``numba_math``).

Shape legend: B batch, T time, D input, H hidden; P threads.
"""

from __future__ import annotations

import numba
import numpy as np

from rnnkit.nn import blas, team
from rnnkit.nn.fused_steps import start_row
from rnnkit.nn.numba_math import VECTOR, copy_, sigmoid_add_, tanh_add_, tanh_into
from rnnkit.nn.team import arg, rows


@numba.njit(cache=True, nogil=True, **VECTOR)
def _forward_row(g, bias, c_prev, c, tc, h):
    """One sequence: g (4H,) holds X_t W_x + H_{t−1} W_h; adds the bias and activates it
    into I F O C̃; then C = F⊙C_prev + I⊙C̃, tanh(C), H = O⊙tanh(C) (H,). Each loop reads
    or writes few arrays, so that LLVM vectorises it."""
    H = c.shape[0]
    sigmoid_add_(g[:3 * H], bias[:3 * H])
    tanh_add_(g[3 * H:], bias[3 * H:])
    for j in range(H):
        c[j] = g[H + j] * c_prev[j] + g[j] * g[3 * H + j]
    tanh_into(tc, c)
    for j in range(H):
        h[j] = g[2 * H + j] * tc[j]


@numba.njit(cache=True, nogil=True, **VECTOR)
def forward(p, P, X, W_x, bias, W_h, Hs, Cs, TC, gates, lens, zero_h0):
    """Thread p's sequences through the forward loop (module docstring)."""
    T, B, D = X.shape
    G4 = W_h.shape[1]
    H = G4 // 4
    b0, b1 = rows(p, P, B)
    if b0 == b1:
        return
    previous = blas.set_local_threads(1)
    for t in range(T):
        g = gates[t, b0:].reshape(-1)
        blas.gemm(False, False, b1 - b0, G4, D, X[t, b0:].reshape(-1), D, W_x.reshape(-1), G4, 0.0, g, G4)
        if t > 0 or not zero_h0:
            blas.gemm(False, False, b1 - b0, G4, H, Hs[t, b0:].reshape(-1), H, W_h.reshape(-1), G4, 1.0, g, G4)
        for b in range(b0, b1):
            if t >= lens[b]:  # padded step: keep the state
                copy_(Hs[t + 1, b], Hs[t, b])
                copy_(Cs[t + 1, b], Cs[t, b])
            else:
                _forward_row(gates[t, b], bias, Cs[t, b], Cs[t + 1, b], TC[t, b], Hs[t + 1, b])
    blas.set_local_threads(previous)


@numba.njit(cache=True, nogil=True, **VECTOR)
def _backward_row(g, tc, c_prev, dh, dc, d, one):
    """One sequence at a valid step: from g (4H,) = I F O C̃, tc = tanh(C_t), c_prev = C_{t−1},
    dh = ∂E/∂H_t and dc = ∂E/∂C_t (H,), write d (4H,) = ∂E/∂(pre-activations) and turn dc
    into ∂E/∂C_{t−1}."""
    H = dc.shape[0]
    for j in range(H):
        o = g[2 * H + j]
        d[2 * H + j] = dh[j] * tc[j] * o * (one - o)  # O
    for j in range(H):
        dc[j] += dh[j] * g[2 * H + j] * (one - tc[j] * tc[j])  # ∂E/∂C_t, complete
    for j in range(H):
        i = g[j]
        d[j] = dc[j] * g[3 * H + j] * i * (one - i)  # I
    for j in range(H):
        ct = g[3 * H + j]
        d[3 * H + j] = dc[j] * g[j] * (one - ct * ct)  # C̃
    for j in range(H):
        f = g[H + j]
        d[H + j] = dc[j] * c_prev[j] * f * (one - f)  # F
    for j in range(H):
        dc[j] *= g[H + j]


@numba.njit(cache=True, nogil=True, **VECTOR)
def _backward_step_rows(t, b0, b1, gates, Cs, TC, DH, dc, d_out, dG, lens, one):
    """Step t's element-wise part for sequences [b0, b1); also starts ∂E/∂H_{t−1} (slot
    t % 2) as ∂E/∂out_{t−1} (+ ∂E/∂H_t passed through at pads)."""
    for b in range(b0, b1):
        if not start_row(t, b, DH, d_out, dG[t, b], lens):
            _backward_row(gates[t, b], TC[t, b], Cs[t, b], DH[1 - t % 2, b], dc[b], dG[t, b], one)


@numba.njit(cache=True, nogil=True, **VECTOR)
def backward(p, P, gates, Cs, TC, DH, dc, d_out, dG, lens, W_h, need_dh0):
    """Thread p's sequences through the BPTT loop, T−1 down to 0 (module docstring).
    DH[1 − (T−1) % 2] holds ∂E/∂H_{T−1} on entry, DH[0] ∂E/∂H_0 on exit (without the last
    matmul unless ``need_dh0``); dc is ∂E/∂C_T on entry, ∂E/∂C_0 on exit."""
    T, B, G4 = gates.shape
    H = G4 // 4
    b0, b1 = rows(p, P, B)
    if b0 == b1:
        return
    one = np.ones(1, gates.dtype)[0]
    previous = blas.set_local_threads(1)
    for t in range(T - 1, -1, -1):
        _backward_step_rows(t, b0, b1, gates, Cs, TC, DH, dc, d_out, dG, lens, one)
        if t > 0 or need_dh0:  # ∂E/∂H_{t−1} += dG_t W_hᵀ
            blas.gemm(False, True, b1 - b0, H, G4, dG[t, b0:].reshape(-1), G4, W_h.reshape(-1), G4, 1.0,
                      DH[t % 2, b0:].reshape(-1), H)
    blas.set_local_threads(previous)


@numba.njit(cache=True, nogil=True)
def _forward_frame(pointer, like):
    s, (p, P) = team.slots_of(pointer), team.me()
    forward(p, P, arg(s, 0, like), arg(s, 1, like)[0], arg(s, 2, like)[0, 0], arg(s, 3, like)[0],
            arg(s, 4, like), arg(s, 5, like), arg(s, 6, like), arg(s, 7, like), team.i64(s, 8),
            team.value(s, 9) != 0)


@numba.njit(cache=True, nogil=True)
def _backward_frame(pointer, like):
    s, (p, P) = team.slots_of(pointer), team.me()
    backward(p, P, arg(s, 0, like), arg(s, 1, like), arg(s, 2, like), arg(s, 3, like),
             arg(s, 4, like)[0], arg(s, 5, like), arg(s, 6, like), team.i64(s, 7), arg(s, 8, like)[0],
             team.value(s, 9) != 0)


def _forward_f32(pointer):
    _forward_frame(pointer, team.F32)


def _forward_f64(pointer):
    _forward_frame(pointer, team.F64)


def _backward_f32(pointer):
    _backward_frame(pointer, team.F32)


def _backward_f64(pointer):
    _backward_frame(pointer, team.F64)


# Entry points for ``team.entry``, by (loop, itemsize). Frames: forward (X, W_x, bias, W_h, Hs,
# Cs, TC, gates, lens, zero_h0); backward (gates, Cs, TC, DH, dc, d_out, dG, lens, W_h, need_dh0).
ENTRIES = {("forward", 4): _forward_f32, ("forward", 8): _forward_f64,
           ("backward", 4): _backward_f32, ("backward", 8): _backward_f64}
