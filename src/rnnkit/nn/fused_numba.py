"""Compiled whole time loops for small recurrent problems (numba), used by the fused kernels.

For a small batch and hidden size (e.g. B=1, H=64) a time step is a few thousand
multiply-adds, and calling ~10 torch operators per step costs far more than the arithmetic.
These loops run the same recursions as ``fused_kernels`` (LSTM; GRU, both variants; RNN with
tanh/relu) as one compiled loop, and return the same buffers as the kernels' torch loops. The
LSTM and ``reset_after`` GRU share their backward pass with those (``fused_steps``, which
compiles it whole for small problems); the lecture GRU and the RNN have theirs here.
The kernels still do the input projection and the weight gradients as large torch matmuls.
Same conventions as there: XW (T, B, G·H) pre-projected inputs (time-major), W (H, G·H),
lens (B,) valid steps; padded steps keep the state (their gate buffers are not used).
σ and tanh are ``numba_math``'s (vectorised for float32).

Shape legend: B batch, T time, H hidden, G gates (LSTM 4, GRU 3, RNN 1).
"""

from __future__ import annotations

import numba
import numpy as np
import torch
from torch import Tensor

from rnnkit.nn.numba_math import add_mat_mat, copy_, sigmoid_, tanh_

SMALL_STEP_WORK = 1 << 19  # B·G·H² multiply-adds per step up to which the compiled loop wins
NUMBA_RNN_ACTIVATIONS = ("tanh", "relu")


def small_enough(device: torch.device, dtype: torch.dtype, B: int, GH: int, H: int, *, limit: int) -> bool:
    """Whether the compiled loops can run (CPU, float32/64) and a step's B·G·H² ≤ ``limit``."""
    return device.type == "cpu" and dtype in (torch.float32, torch.float64) and B * GH * H <= limit


def use_numba(XW: Tensor, H: int) -> bool:
    """Whether the kernels run a problem, XW (T, B, G·H), in the compiled loops."""
    _, B, GH = XW.shape
    return small_enough(XW.device, XW.dtype, B, GH, H, limit=SMALL_STEP_WORK)


def lengths_of(mask: Tensor | None, B: int, T: int) -> np.ndarray:
    """Valid steps per sequence (B,) from a (T, B, 1) prefix mask."""
    if mask is None:
        return np.full(B, T, dtype=np.int64)
    return mask[:, :, 0].sum(0).cpu().numpy().astype(np.int64)


def np_of(t: Tensor) -> np.ndarray:
    return t.detach().contiguous().numpy()


@numba.njit(cache=True)
def rnn_forward(XW, W, h0, lens, relu):
    """H_t = f(XW_t + H_{t−1} W): returns Hs (T+1, B, H) and A (T, B, H) = f(z_t)."""
    T, B, H = XW.shape
    Hs, A = np.empty((T + 1, B, H), XW.dtype), XW.copy()
    copy_(Hs[0], h0)
    for t in range(T):
        add_mat_mat(Hs[t], W, A[t])  # (B, H) pre-activations
        a = A[t].reshape(B * H)
        if relu:
            for j in range(B * H):
                a[j] = max(a[j], 0)
        else:
            tanh_(a)
        for b in range(B):
            if t >= lens[b]:
                A[t, b] = 0
                copy_(Hs[t + 1, b], Hs[t, b])
            else:
                copy_(Hs[t + 1, b], A[t, b])
    return Hs, A


@numba.njit(cache=True)
def rnn_backward(A, d_out, dhT, W_T, lens, relu):
    """BPTT: returns dZ (T, B, H) = ∂E/∂z_t and dh0 (B, H); d_out is zero at pads;
    W_T (H, H) is Wᵀ, contiguous."""
    T, B, H = A.shape
    dZ = np.zeros_like(A)
    dh, dh_prev = dhT.copy(), np.empty_like(dhT)  # ∂E/∂H_t, ∂E/∂H_{t−1}  (B, H)
    for t in range(T - 1, -1, -1):
        for b in range(B):
            a, dz, pad = A[t, b], dZ[t, b], t >= lens[b]
            for j in range(H):
                dht = dh[b, j] + d_out[t, b, j]
                fp = (1.0 if a[j] > 0 else 0.0) if relu else 1.0 - a[j] * a[j]
                dz[j] = 0.0 if pad else dht * fp
                dh_prev[b, j] = dht if pad else 0.0  # pads pass ∂E/∂H through
        add_mat_mat(dZ[t], W_T, dh_prev)
        dh, dh_prev = dh_prev, dh
    return dZ, dh


@numba.njit(cache=True)
def _lstm_cell(g, c_prev, c, tc):
    """Activate the pre-activations g (B, 4H) in place into I F O C̃, then C = F⊙C_prev +
    I⊙C̃ into c and tanh(C) into tc (B, H)."""
    B, G4 = g.shape
    H = G4 // 4
    for b in range(B):
        sigmoid_(g[b, :3 * H])
        tanh_(g[b, 3 * H:])
        for j in range(H):
            c[b, j] = g[b, H + j] * c_prev[b, j] + g[b, j] * g[b, 3 * H + j]  # F⊙C + I⊙C̃
            tc[b, j] = c[b, j]
        tanh_(tc[b])


@numba.njit(cache=True)
def lstm_forward(XW, W, h0, c0, lens):
    """LSTM: Hs, Cs (T+1, B, H) states H_0..H_T and C_0..C_T, TC (T, B, H) tanh(C_t), gates
    (T, B, 4H) activated I F O C̃ — the buffers of ``LSTMKernel``'s torch loop."""
    T, B, G4 = XW.shape
    H = G4 // 4
    Hs, Cs = np.empty((T + 1, B, H), XW.dtype), np.empty((T + 1, B, H), XW.dtype)
    TC, gates = np.empty((T, B, H), XW.dtype), XW.copy()
    copy_(Hs[0], h0)
    copy_(Cs[0], c0)
    for t in range(T):
        g = gates[t]  # (B, 4H) pre-activations, then I F O C̃
        add_mat_mat(Hs[t], W, g)
        _lstm_cell(g, Cs[t], Cs[t + 1], TC[t])
        for b in range(B):
            h, tc = Hs[t + 1, b], TC[t, b]
            if t >= lens[b]:  # padded step: keep the state
                copy_(h, Hs[t, b])
                copy_(Cs[t + 1, b], Cs[t, b])
                continue
            for j in range(H):
                h[j] = g[b, 2 * H + j] * tc[j]  # O⊙tanh(C)
    return Hs, Cs, TC, gates


@numba.njit(cache=True)
def _affine(x, W, b):
    """b + x W for x (B, D), W (D, N), b (N,): a new (B, N) array."""
    out = np.empty((x.shape[0], W.shape[1]), x.dtype)
    for i in range(x.shape[0]):
        copy_(out[i], b)
    add_mat_mat(x, W, out)
    return out


@numba.njit(cache=True)
def lstm_step(x, h, c, W_x, W_h, b):
    """One LSTM step for generation, x (B, D), h, c (B, H), W_x (D, 4H), W_h (H, 4H), b (4H)
    → new h, c (B, H): both matmuls and the gates in one compiled call (no autograd)."""
    g = _affine(x, W_x, b)  # (B, 4H)
    add_mat_mat(h, W_h, g)
    B, H = h.shape
    h_new, c_new, tc = np.empty((B, H), x.dtype), np.empty((B, H), x.dtype), np.empty((B, H), x.dtype)
    _lstm_cell(g, c, c_new, tc)
    for i in range(B):
        for j in range(H):
            h_new[i, j] = g[i, 2 * H + j] * tc[i, j]  # O⊙tanh(C)
    return h_new, c_new


@numba.njit(cache=True)
def gru_step(x, h, W_x, b, W_h, b_hn):
    """One ``reset_after`` GRU step for generation: x (B, D), h (B, H) → new h (B, H)
    (``gru_forward`` for one step, input projection included)."""
    XW = _affine(x, W_x, b)  # (B, 3H)
    return gru_forward(XW.reshape(1, *XW.shape), W_h, b_hn, h, np.ones(h.shape[0], np.int64))[0][1]


@numba.njit(cache=True)
def gru_lecture_step(x, h, W_x, b, W_rz, W_hh):
    """One step of the lecture's GRU for generation: x (B, D), h (B, H) → new h (B, H)."""
    XW = _affine(x, W_x, b)  # (B, 3H)
    return gru_lecture_forward(XW.reshape(1, *XW.shape), W_rz, W_hh, h, np.ones(h.shape[0], np.int64))[0][1]


@numba.njit(cache=True)
def _gru_update(g, h, h_new):
    """One row of either GRU variant, once R and Z are activated in ``g`` (3H,) and its H̃
    block holds the pre-activation: H̃ ← tanh, then h_new = Z⊙h + (1−Z)⊙H̃."""
    H = h.shape[0]
    tanh_(g[2 * H:])  # H̃
    for j in range(H):
        n = g[2 * H + j]
        h_new[j] = n + g[H + j] * (h[j] - n)


@numba.njit(cache=True)
def gru_forward(XW, W, b_hn, h0, lens):
    """GRU, reset_after: Hs (T+1, B, H), gates (T, B, 3H) = R Z H̃, HW (T, B, 3H) = H_{t−1} W
    (+ b_hn on the H̃ block) — the buffers of ``GRUKernel``'s torch loop."""
    T, B, G3 = XW.shape
    H = G3 // 3
    Hs = np.empty((T + 1, B, H), XW.dtype)
    gates, HW = np.zeros((T, B, G3), XW.dtype), np.zeros((T, B, G3), XW.dtype)
    copy_(Hs[0], h0)
    for t in range(T):
        add_mat_mat(Hs[t], W, HW[t])  # (B, 3H)
        for b in range(B):
            h, h_new = Hs[t, b], Hs[t + 1, b]
            if t >= lens[b]:
                copy_(h_new, h)
                continue
            g, hw, x = gates[t, b], HW[t, b], XW[t, b]
            for j in range(2 * H):
                g[j] = x[j] + hw[j]
            sigmoid_(g[:2 * H])  # R Z
            for j in range(H):
                hw[2 * H + j] += b_hn[j]
                g[2 * H + j] = x[2 * H + j] + g[j] * hw[2 * H + j]
            _gru_update(g, h, h_new)
    return Hs, gates, HW


@numba.njit(cache=True)
def gru_lecture_forward(XW, W_rz, W_hh, h0, lens):
    """The lecture's GRU: R, Z = σ(XW + H_{t−1} W_rz), H̃ = tanh(XW_h + (R⊙H_{t−1}) W_hh).
    W_rz (H, 2H), W_hh (H, H) contiguous. Returns Hs (T+1, B, H), gates (T, B, 3H) = R Z H̃ and
    aux (T, B, H) = R⊙H_{t−1} — the buffers of ``GRUKernel``'s torch loop for this variant."""
    T, B, G3 = XW.shape
    H = G3 // 3
    Hs, gates, aux = np.empty((T + 1, B, H), XW.dtype), XW.copy(), np.zeros((T, B, H), XW.dtype)
    hw_rz, hw_n = np.empty((B, 2 * H), XW.dtype), np.empty((B, H), XW.dtype)
    copy_(Hs[0], h0)
    for t in range(T):
        hw_rz[:], hw_n[:] = 0, 0
        add_mat_mat(Hs[t], W_rz, hw_rz)  # (B, 2H)
        for b in range(B):
            g, h, rh = gates[t, b], Hs[t, b], aux[t, b]
            for j in range(2 * H):
                g[j] += hw_rz[b, j]
            sigmoid_(g[:2 * H])  # R Z
            for j in range(H):
                rh[j] = g[j] * h[j]
        add_mat_mat(aux[t], W_hh, hw_n)  # (R⊙H) W_hh  (B, H)
        for b in range(B):
            g, h, h_new = gates[t, b], Hs[t, b], Hs[t + 1, b]
            if t >= lens[b]:  # padded step: keep the state
                copy_(h_new, h)
                continue
            for j in range(H):
                g[2 * H + j] += hw_n[b, j]
            _gru_update(g, h, h_new)
    return Hs, gates, aux


@numba.njit(cache=True)
def gru_lecture_backward(gates, aux, Hs, d_out, dhT, W_rzT, W_hhT, lens):
    """BPTT for ``gru_lecture_forward`` (d_out zero at pads; W_rzT (2H, H), W_hhT (H, H)):
    dG (T, B, 3H) = ∂E/∂(R, Z, H̃ pre-activations), dA (T, B, H) = ∂E/∂pre_H̃ on the
    (R⊙H) W_hh side, dh0 (B, H). Padded steps pass ∂E/∂H through."""
    T, B, G3 = gates.shape
    H = G3 // 3
    dG, dA = np.zeros_like(gates), np.zeros_like(aux)
    dh, dh_prev = dhT.copy(), np.empty_like(dhT)  # ∂E/∂H_t, ∂E/∂H_{t−1}  (B, H)
    d_rh, d_rz = np.empty_like(dhT), np.zeros((B, 2 * H), gates.dtype)
    for t in range(T - 1, -1, -1):
        for b in range(B):
            g, h_prev = gates[t, b], Hs[t, b]
            for j in range(H):
                dht = dh[b, j] + d_out[t, b, j]
                dh_prev[b, j] = dht  # the pass-through, or the Z⊙ part (set below)
                if t < lens[b]:
                    z, n = g[H + j], g[2 * H + j]
                    dA[t, b, j] = dht * (1 - z) * (1 - n * n)  # ∂E/∂pre_H̃
                    d_rz[b, H + j] = dht * (h_prev[j] - n) * z * (1 - z)
                    dh_prev[b, j] = dht * z
                else:
                    d_rz[b, H + j] = 0
        d_rh[:] = 0
        add_mat_mat(dA[t], W_hhT, d_rh)  # ∂E/∂(R⊙H_{t−1})
        for b in range(B):
            g, h_prev, d = gates[t, b], Hs[t, b], dG[t, b]
            valid = t < lens[b]
            for j in range(H):
                r = g[j]
                d_rz[b, j] = d_rh[b, j] * h_prev[j] * r * (1 - r) if valid else 0
                dh_prev[b, j] += d_rh[b, j] * r if valid else 0
                d[j], d[H + j], d[2 * H + j] = d_rz[b, j], d_rz[b, H + j], dA[t, b, j]
        add_mat_mat(d_rz, W_rzT, dh_prev)  # zero rows at pads
        dh, dh_prev = dh_prev, dh
    return dG, dA, dh
