"""One GRU layer direction, both variants, forward and backward, as compiled loops on torch's
threads.

``team.run(team.entry(ENTRIES, (loop, itemsize)), P, …)`` runs a loop on P threads; thread p
of P takes the sequences b0..b1 (``team.rows``); GEMMs are on its rows (``blas``):

    forward (lecture, ``reset_after=False``), every step t:
        G = X_t W_x                                        (3H: R, Z, H̃ blocks)
        G_rz += H_{t−1} W_rz;  R, Z = σ(G_rz + b_rz)
        A_t = R⊙H_{t−1};  G_h += A_t W_hh;  H̃ = tanh(G_h + b_h)
        H_t = Z⊙H_{t−1} + (1 − Z)⊙H̃
    forward (torch's, ``reset_after=True``), every step t:
        G = X_t W_x,  HW_t = H_{t−1} W_h + [0, 0, b_hn]    (3H each)
        R, Z = σ(G_rz + b_rz + HW_rz);  H̃ = tanh(G_h + b_h + R⊙HW_h);  H_t as above
    backward, t = T−1 … 0, from ∂E/∂H_t:
        dH̃ = ∂E/∂H_t (1 − Z)(1 − H̃²),  dZ = ∂E/∂H_t (H_{t−1} − H̃) Z(1 − Z)
        lecture:  d(R⊙H) = dH̃ W_hhᵀ,  dR = d(R⊙H) H_{t−1} R(1 − R)
                  ∂E/∂H_{t−1} = ∂E/∂H_t Z + d(R⊙H) R + [dR, dZ] W_rzᵀ
        torch's:  dR = dH̃ HW_h R(1 − R);  dGh = [dR, dZ, dH̃ R]
                  ∂E/∂H_{t−1} = ∂E/∂H_t Z + dGh W_hᵀ

dG = [dR, dZ, dH̃] (T, B, 3H) is ∂E/∂(X_t W_x + b); the weight gradients are ``team_grads``'
(W_x from dG; lecture: W_rz from H_{t−1} and dG's R, Z columns, W_hh from A and dH̃; torch's:
W_h from H_{t−1} and dGh). Buffers (time-major, C-contiguous numpy views of torch tensors):
X (T, B, D), W_x (D, 3H), bias (3H,), Hs (T+1, B, H) states, gates (T, B, 3H) = R Z H̃, aux
(T, B, H) = A (lecture) or HW (T, B, 3H) (torch's); W_rz (H, 2H), W_hh (H, H) or W_h (H, 3H),
b_hn (H,); DH (2, B, H) ∂E/∂H in two alternating slots (``fused_steps``' convention), d_out
(T, B, H) output gradients (zero at pads), dG, dGh (T, B, 3H). Padded steps keep the state and
pass ∂E/∂H through with zero gate gradients.

Shape legend: B batch, T time, D input, H hidden; P threads.
"""

from __future__ import annotations

import numba
import numpy as np

from rnnkit.nn import blas, team
from rnnkit.nn.fused_steps import start_row
from rnnkit.nn.numba_math import VECTOR, copy_, sigmoid_add_, tanh_add_
from rnnkit.nn.team import arg, rows


@numba.njit(cache=True, nogil=True, **VECTOR)
def _update(g, h_prev, h):
    """h = Z⊙h_prev + (1 − Z)⊙H̃ from g's Z and (activated) H̃ blocks (one sequence)."""
    H = h.shape[0]
    for j in range(H):
        n = g[2 * H + j]
        h[j] = n + g[H + j] * (h_prev[j] - n)


@numba.njit(cache=True, nogil=True, **VECTOR)
def forward_lecture(p, P, X, W_x, bias, W_rz, W_hh, Hs, gates, aux, lens, zero_h0):
    """Thread p's sequences through the lecture GRU's forward loop (module docstring)."""
    T, B, D = X.shape
    H = W_hh.shape[0]
    G3 = 3 * H
    b0, b1 = rows(p, P, B)
    if b0 == b1:
        return
    M = b1 - b0
    previous = blas.set_local_threads(1)
    for t in range(T):
        g, first = gates[t, b0:].reshape(-1), t == 0 and zero_h0
        blas.gemm(False, False, M, G3, D, X[t, b0:].reshape(-1), D, W_x.reshape(-1), G3, 0.0, g, G3)
        if not first:
            blas.gemm(False, False, M, 2 * H, H, Hs[t, b0:].reshape(-1), H, W_rz.reshape(-1), 2 * H, 1.0, g, G3)
        for b in range(b0, b1):
            row, a, h_prev = gates[t, b], aux[t, b], Hs[t, b]
            sigmoid_add_(row[:2 * H], bias[:2 * H])  # R Z
            for j in range(H):
                a[j] = row[j] * h_prev[j]  # R⊙H_{t−1}
        if not first:
            blas.gemm(False, False, M, H, H, aux[t, b0:].reshape(-1), H, W_hh.reshape(-1), H, 1.0, g[2 * H:], G3)
        for b in range(b0, b1):
            row = gates[t, b]
            tanh_add_(row[2 * H:], bias[2 * H:])  # H̃
            if t >= lens[b]:  # padded step: keep the state
                copy_(Hs[t + 1, b], Hs[t, b])
            else:
                _update(row, Hs[t, b], Hs[t + 1, b])
    blas.set_local_threads(previous)


@numba.njit(cache=True, nogil=True, **VECTOR)
def forward_torch(p, P, X, W_x, bias, W_h, b_hn, Hs, gates, HW, lens, zero_h0):
    """Thread p's sequences through the ``reset_after`` GRU's forward loop (module docstring)."""
    T, B, D = X.shape
    H = b_hn.shape[0]
    G3 = 3 * H
    b0, b1 = rows(p, P, B)
    if b0 == b1:
        return
    previous = blas.set_local_threads(1)
    for t in range(T):
        hw = HW[t, b0:].reshape(-1)
        blas.gemm(False, False, b1 - b0, G3, D, X[t, b0:].reshape(-1), D, W_x.reshape(-1), G3, 0.0,
                  gates[t, b0:].reshape(-1), G3)
        if t == 0 and zero_h0:
            for j in range(hw.shape[0]):
                hw[j] = 0
        else:
            blas.gemm(False, False, b1 - b0, G3, H, Hs[t, b0:].reshape(-1), H, W_h.reshape(-1), G3, 0.0, hw, G3)
        for b in range(b0, b1):
            g, r_hw = gates[t, b], HW[t, b]
            for j in range(H):
                r_hw[2 * H + j] += b_hn[j]
            for j in range(2 * H):
                g[j] += r_hw[j]
            sigmoid_add_(g[:2 * H], bias[:2 * H])  # R Z
            for j in range(H):
                g[2 * H + j] += g[j] * r_hw[2 * H + j]
            tanh_add_(g[2 * H:], bias[2 * H:])  # H̃
            if t >= lens[b]:
                copy_(Hs[t + 1, b], Hs[t, b])
            else:
                _update(g, Hs[t, b], Hs[t + 1, b])
    blas.set_local_threads(previous)


@numba.njit(cache=True, nogil=True, **VECTOR)
def _z_and_candidate(g, h_prev, dh, d, dst, one):
    """dZ and dH̃ into d's Z and H̃ blocks, ∂E/∂H_t Z into dst (one valid sequence)."""
    H = dh.shape[0]
    for j in range(H):
        z, n = g[H + j], g[2 * H + j]
        d[2 * H + j] = dh[j] * (one - z) * (one - n * n)
        d[H + j] = dh[j] * (h_prev[j] - n) * z * (one - z)
        dst[j] += dh[j] * z


@numba.njit(cache=True, nogil=True, **VECTOR)
def backward_lecture(p, P, gates, Hs, DH, d_out, dG, d_rh, lens, W_rz, W_hh, need_dh0):
    """Thread p's sequences through the lecture GRU's BPTT loop, T−1 down to 0; d_rh (B, H)
    is scratch for ∂E/∂(R⊙H_{t−1}). DH as in ``team_lstm.backward``."""
    T, B, G3 = gates.shape
    H = G3 // 3
    b0, b1 = rows(p, P, B)
    if b0 == b1:
        return
    M, one = b1 - b0, np.ones(1, gates.dtype)[0]
    previous = blas.set_local_threads(1)
    for t in range(T - 1, -1, -1):
        for b in range(b0, b1):
            if not start_row(t, b, DH, d_out, dG[t, b], lens):
                _z_and_candidate(gates[t, b], Hs[t, b], DH[1 - t % 2, b], dG[t, b], DH[t % 2, b], one)
        g = dG[t, b0:].reshape(-1)
        blas.gemm(False, True, M, H, H, g[2 * H:], G3, W_hh.reshape(-1), H, 0.0, d_rh[b0:].reshape(-1), H)
        for b in range(b0, b1):
            if t < lens[b]:
                r_row, h_prev, d, drh, dst = gates[t, b], Hs[t, b], dG[t, b], d_rh[b], DH[t % 2, b]
                for j in range(H):
                    r = r_row[j]
                    d[j] = drh[j] * h_prev[j] * r * (one - r)
                    dst[j] += drh[j] * r
        if t > 0 or need_dh0:  # ∂E/∂H_{t−1} += [dR, dZ] W_rzᵀ
            blas.gemm(False, True, M, H, 2 * H, g, G3, W_rz.reshape(-1), 2 * H, 1.0, DH[t % 2, b0:].reshape(-1), H)
    blas.set_local_threads(previous)


@numba.njit(cache=True, nogil=True, **VECTOR)
def backward_torch(p, P, gates, HW, Hs, DH, d_out, dG, dGh, lens, W_h, need_dh0):
    """Thread p's sequences through the ``reset_after`` GRU's BPTT loop, T−1 down to 0."""
    T, B, G3 = gates.shape
    H = G3 // 3
    b0, b1 = rows(p, P, B)
    if b0 == b1:
        return
    one = np.ones(1, gates.dtype)[0]
    previous = blas.set_local_threads(1)
    for t in range(T - 1, -1, -1):
        for b in range(b0, b1):
            d, dh = dG[t, b], dGh[t, b]
            if start_row(t, b, DH, d_out, d, lens):
                for j in range(G3):
                    dh[j] = 0
                continue
            g, hw = gates[t, b], HW[t, b]
            _z_and_candidate(g, Hs[t, b], DH[1 - t % 2, b], d, DH[t % 2, b], one)
            for j in range(H):
                r = g[j]
                d[j] = d[2 * H + j] * hw[2 * H + j] * r * (one - r)
                dh[j], dh[H + j], dh[2 * H + j] = d[j], d[H + j], d[2 * H + j] * r
        if t > 0 or need_dh0:  # ∂E/∂H_{t−1} += dGh W_hᵀ
            blas.gemm(False, True, b1 - b0, H, G3, dGh[t, b0:].reshape(-1), G3, W_h.reshape(-1), G3, 1.0,
                      DH[t % 2, b0:].reshape(-1), H)
    blas.set_local_threads(previous)


@numba.njit(cache=True, nogil=True)
def _forward_lecture_frame(pointer, like):
    s, (p, P) = team.slots_of(pointer), team.me()
    forward_lecture(p, P, arg(s, 0, like), arg(s, 1, like)[0], arg(s, 2, like)[0, 0], arg(s, 3, like)[0],
                    arg(s, 4, like)[0], arg(s, 5, like), arg(s, 6, like), arg(s, 7, like), team.i64(s, 8),
                    team.value(s, 9) != 0)


@numba.njit(cache=True, nogil=True)
def _forward_torch_frame(pointer, like):
    s, (p, P) = team.slots_of(pointer), team.me()
    forward_torch(p, P, arg(s, 0, like), arg(s, 1, like)[0], arg(s, 2, like)[0, 0], arg(s, 3, like)[0],
                  arg(s, 4, like)[0, 0], arg(s, 5, like), arg(s, 6, like), arg(s, 7, like), team.i64(s, 8),
                  team.value(s, 9) != 0)


@numba.njit(cache=True, nogil=True)
def _backward_lecture_frame(pointer, like):
    s, (p, P) = team.slots_of(pointer), team.me()
    backward_lecture(p, P, arg(s, 0, like), arg(s, 1, like), arg(s, 2, like), arg(s, 3, like), arg(s, 4, like),
                     arg(s, 5, like)[0], team.i64(s, 6), arg(s, 7, like)[0], arg(s, 8, like)[0],
                     team.value(s, 9) != 0)


@numba.njit(cache=True, nogil=True)
def _backward_torch_frame(pointer, like):
    s, (p, P) = team.slots_of(pointer), team.me()
    backward_torch(p, P, arg(s, 0, like), arg(s, 1, like), arg(s, 2, like), arg(s, 3, like), arg(s, 4, like),
                   arg(s, 5, like), arg(s, 6, like), team.i64(s, 7), arg(s, 8, like)[0], team.value(s, 9) != 0)


def _forward_lecture_f32(pointer):
    _forward_lecture_frame(pointer, team.F32)


def _forward_lecture_f64(pointer):
    _forward_lecture_frame(pointer, team.F64)


def _forward_torch_f32(pointer):
    _forward_torch_frame(pointer, team.F32)


def _forward_torch_f64(pointer):
    _forward_torch_frame(pointer, team.F64)


def _backward_lecture_f32(pointer):
    _backward_lecture_frame(pointer, team.F32)


def _backward_lecture_f64(pointer):
    _backward_lecture_frame(pointer, team.F64)


def _backward_torch_f32(pointer):
    _backward_torch_frame(pointer, team.F32)


def _backward_torch_f64(pointer):
    _backward_torch_frame(pointer, team.F64)


# Entry points for ``team.entry``, by (loop, itemsize). Frames: forward_lecture (X, W_x, bias,
# W_rz, W_hh, Hs, gates, aux, lens, zero_h0); forward_torch (X, W_x, bias, W_h, b_hn, Hs, gates,
# HW, lens, zero_h0); backward_lecture (gates, Hs, DH, d_out, dG, d_rh, lens, W_rz, W_hh,
# need_dh0); backward_torch (gates, HW, Hs, DH, d_out, dG, dGh, lens, W_h, need_dh0).
ENTRIES = {("forward_lecture", 4): _forward_lecture_f32, ("forward_lecture", 8): _forward_lecture_f64,
           ("forward_torch", 4): _forward_torch_f32, ("forward_torch", 8): _forward_torch_f64,
           ("backward_lecture", 4): _backward_lecture_f32, ("backward_lecture", 8): _backward_lecture_f64,
           ("backward_torch", 4): _backward_torch_f32, ("backward_torch", 8): _backward_torch_f64}
