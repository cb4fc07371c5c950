"""Compiled element-wise parts of one backward time step (numba), for the fused LSTM and GRU.

The backward recursion of a fused kernel does two things per step: element-wise gate
gradients (a dozen arithmetic operations on (B, H) tensors) and one matmul
``∂E/∂H_{t−1} += dG_t W_hᵀ``. Issued as torch operators the element-wise part costs ~20
dispatches per step; these functions do it in one compiled pass, and the caller keeps the
matmul in torch (MKL). No transcendental functions are needed: the forward pass saved the
activated gates and ``tanh(C_t)``.

Conventions (numpy views of the kernel's time-major torch buffers, C-contiguous):
gates (T, B, G·H) activated gates; DH (2, B, H) two alternating slots: ``DH[1 − t % 2] =
∂E/∂H_t`` (complete when step t runs) and ``DH[t % 2]`` written here as ``∂E/∂out_{t−1}``
(+ ``∂E/∂H_t`` at padded steps), to which the caller adds the matmul; d_out (T, B, H)
output gradients (zero at pads); lens (B,) valid steps. Padded steps (t ≥ lens[b]) have zero gate gradients and pass ∂E/∂H (and
∂E/∂C) straight through. Time-major buffers keep one step's data contiguous in memory.

Shape legend: B batch, T time, H hidden, G gates (LSTM 4, GRU 3).
"""

from __future__ import annotations

import numba
import numpy as np
import torch

from rnnkit.nn.numba_math import VECTOR, add_mat_mat, copy_


@numba.njit(cache=True, nogil=True, **VECTOR)
def start_row(t, b, DH, d_out, d, lens):
    """Row b of step t: sets ∂E/∂H_{t−1}'s row DH[t % 2, b] to ∂E/∂out_{t−1} (0 at t = 0);
    at a padded step (t ≥ lens[b]) zeroes d (the row's gate gradients) and passes ∂E/∂H_t
    through; returns whether the step is padded. Shared by every compiled BPTT loop."""
    dh, dst = DH[1 - t % 2, b], DH[t % 2, b]
    if t > 0:
        copy_(dst, d_out[t - 1, b])
    else:
        for j in range(dst.shape[0]):
            dst[j] = 0
    if t < lens[b]:
        return False
    for j in range(d.shape[0]):
        d[j] = 0
    for j in range(dst.shape[0]):
        dst[j] += dh[j]
    return True


@numba.njit(cache=True)
def lstm_backward_step(t, gates, Cs, TC, DH, dc, d_out, dG, lens):
    """Step t of the LSTM recursion: gates I F O C̃, Cs (T+1, B, H) cell states C_0..C_T,
    TC (T, B, H) tanh(C_t); dc (B, H) ∂E/∂C_t on entry, ∂E/∂C_{t−1} on exit; writes dG[t]
    (B, 4H) = ∂E/∂(pre-activations) in gate order I F O C̃."""
    B, H = dc.shape
    one = np.ones(1, dc.dtype)[0]  # keeps float32 arithmetic in float32
    for b in range(B):
        if start_row(t, b, DH, d_out, dG[t, b], lens):
            continue
        dh_row = DH[1 - t % 2, b]
        g, d, tc_row, c_prev, dcb = gates[t, b], dG[t, b], TC[t, b], Cs[t, b], dc[b]
        for j in range(H):
            dh, tc = dh_row[j], tc_row[j]
            i, f, o, ct = g[j], g[H + j], g[2 * H + j], g[3 * H + j]
            dct = dcb[j] + dh * o * (one - tc * tc)
            d[j] = dct * ct * i * (one - i)
            d[H + j] = dct * c_prev[j] * f * (one - f)
            d[2 * H + j] = dh * tc * o * (one - o)
            d[3 * H + j] = dct * i * (one - ct * ct)
            dcb[j] = dct * f


@numba.njit(cache=True)
def gru_backward_step(t, gates, HW, Hs, DH, d_out, dGx, dGh, lens):
    """Step t of the GRU (``reset_after``) recursion: gates R Z H̃, HW (T, B, 3H) the saved
    ``H_{t−1} W_h`` (+ b_hn on the candidate block), Hs (T+1, B, H) states H_0..H_T. Writes
    dGx[t] = ∂E/∂(XW_t) (R, Z, H̃ pre-activations) and dGh[t] = ∂E/∂(H_{t−1} W_h)
    (the same for R and Z; R⊙∂E/∂pre_H̃ for the candidate)."""
    B, H = lens.shape[0], Hs.shape[2]
    one = np.ones(1, Hs.dtype)[0]
    for b in range(B):
        g, hw, h_prev, dx, dw = gates[t, b], HW[t, b], Hs[t, b], dGx[t, b], dGh[t, b]
        if start_row(t, b, DH, d_out, dx, lens):
            for j in range(dw.shape[0]):
                dw[j] = 0
            continue
        dh_row, dst = DH[1 - t % 2, b], DH[t % 2, b]
        for j in range(H):
            dh = dh_row[j]
            r, z, n = g[j], g[H + j], g[2 * H + j]
            dn = dh * (one - z) * (one - n * n)
            dz = dh * (h_prev[j] - n) * z * (one - z)
            dr = dn * hw[2 * H + j] * r * (one - r)
            dx[j], dx[H + j], dx[2 * H + j] = dr, dz, dn
            dw[j], dw[H + j], dw[2 * H + j] = dr, dz, dn * r
            dst[j] += dh * z


@numba.njit(cache=True)
def lstm_backward_loop(gates, Cs, TC, DH, dc, d_out, dG, lens, W_hT):
    """The whole LSTM recursion, T−1 down to 0, for small problems: each step as in
    ``lstm_backward_step``, then ∂E/∂H_{t−1} += dG_t W_hᵀ (W_hT (4H, H), contiguous)."""
    for t in range(gates.shape[0] - 1, -1, -1):
        lstm_backward_step(t, gates, Cs, TC, DH, dc, d_out, dG, lens)
        add_mat_mat(dG[t], W_hT, DH[t % 2])  # dG is zero at pads


@numba.njit(cache=True)
def gru_backward_loop(gates, HW, Hs, DH, d_out, dGx, dGh, lens, W_hT):
    """The whole GRU recursion for small problems (see ``lstm_backward_loop``)."""
    for t in range(gates.shape[0] - 1, -1, -1):
        gru_backward_step(t, gates, HW, Hs, DH, d_out, dGx, dGh, lens)
        add_mat_mat(dGh[t], W_hT, DH[t % 2])


# Torch-operator versions of the two steps, for tensors numba cannot take (CUDA, bfloat16).
# Same buffers and effects; ``mask`` (T, B, 1) bool or None replaces ``lens``.

def lstm_backward_step_torch(t, gates, Cs, TC, DH, dc, d_out, dG, mask):
    H = dc.shape[1]
    I, F, O, Ct = gates[t].split(H, 1)  # each (B, H)
    dh, tc = DH[1 - t % 2], TC[t]
    dct = dc + dh * O * (1 - tc * tc)
    g = torch.cat([dct * Ct * I * (1 - I), dct * Cs[t] * F * (1 - F),
                   dh * tc * O * (1 - O), dct * I * (1 - Ct * Ct)], 1)  # (B, 4H)
    dc_prev, carry = dct * F, torch.zeros_like(dh)
    if mask is not None:
        m = mask[t]
        g, dc_prev, carry = g * m, torch.where(m, dc_prev, dc), torch.where(m, carry, dh)
    dG[t] = g
    dc.copy_(dc_prev)
    DH[t % 2] = carry if t == 0 else carry + d_out[t - 1]


def gru_backward_step_torch(t, gates, HW, Hs, DH, d_out, dGx, dGh, mask):
    H = Hs.shape[2]
    R, Z, N = gates[t].split(H, 1)  # each (B, H)
    dh = DH[1 - t % 2]
    dn = dh * (1 - Z) * (1 - N * N)
    dz = dh * (Hs[t] - N) * Z * (1 - Z)
    dr = dn * HW[t, :, 2 * H:] * R * (1 - R)
    gx, gh, carry = torch.cat([dr, dz, dn], 1), torch.cat([dr, dz, dn * R], 1), dh * Z  # (B, 3H)
    if mask is not None:
        m = mask[t]
        gx, gh, carry = gx * m, gh * m, torch.where(m, carry, dh)
    dGx[t], dGh[t] = gx, gh
    DH[t % 2] = carry if t == 0 else carry + d_out[t - 1]
