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
(+ ``∂E/∂H_t`` at padded steps), to which the caller adds the matmul; d_out (T, B, H) output gradients (zero at pads); lens
(B,) valid steps. Padded steps (t ≥ lens[b]) have zero gate gradients and pass ∂E/∂H (and
∂E/∂C) straight through. Time-major buffers keep one step's data contiguous in memory.

Shape legend: B batch, T time, H hidden, G gates (LSTM 4, GRU 3).
"""

from __future__ import annotations

import numba
import torch


@numba.njit(cache=True)
def _carry(t, b, DH, d_out, H):
    """DH[t % 2, b] = d_out[t−1, b] (the state gradient before the matmul term)."""
    if t > 0:
        for j in range(H):
            DH[t % 2, b, j] = d_out[t - 1, b, j]
    else:
        for j in range(H):
            DH[t % 2, b, j] = 0.0


@numba.njit(cache=True)
def lstm_backward_step(t, gates, Cs, TC, DH, dc, d_out, dG, lens):
    """Step t of the LSTM recursion: gates I F O C̃, Cs (T+1, B, H) cell states C_0..C_T,
    TC (T, B, H) tanh(C_t); dc (B, H) ∂E/∂C_t on entry, ∂E/∂C_{t−1} on exit; writes dG[t]
    (B, 4H) = ∂E/∂(pre-activations) in gate order I F O C̃."""
    B, H = dc.shape
    for b in range(B):
        _carry(t, b, DH, d_out, H)
        if t >= lens[b]:
            for j in range(4 * H):
                dG[t, b, j] = 0.0
            for j in range(H):
                DH[t % 2, b, j] += DH[1 - t % 2, b, j]
            continue
        for j in range(H):
            dh = DH[1 - t % 2, b, j]
            i, f = gates[t, b, j], gates[t, b, H + j]
            o, g = gates[t, b, 2 * H + j], gates[t, b, 3 * H + j]
            tc = TC[t, b, j]
            dct = dc[b, j] + dh * o * (1.0 - tc * tc)
            dG[t, b, j] = dct * g * i * (1.0 - i)
            dG[t, b, H + j] = dct * Cs[t, b, j] * f * (1.0 - f)
            dG[t, b, 2 * H + j] = dh * tc * o * (1.0 - o)
            dG[t, b, 3 * H + j] = dct * i * (1.0 - g * g)
            dc[b, j] = dct * f


@numba.njit(cache=True)
def gru_backward_step(t, gates, HW, Hs, DH, d_out, dGx, dGh, lens):
    """Step t of the GRU (``reset_after``) recursion: gates R Z H̃, HW (T, B, 3H) the saved
    ``H_{t−1} W_h`` (+ b_hn on the candidate block), Hs (T+1, B, H) states H_0..H_T. Writes
    dGx[t] = ∂E/∂(XW_t) (R, Z, H̃ pre-activations) and dGh[t] = ∂E/∂(H_{t−1} W_h)
    (the same for R and Z; R⊙∂E/∂pre_H̃ for the candidate)."""
    B = lens.shape[0]
    H = Hs.shape[2]
    for b in range(B):
        _carry(t, b, DH, d_out, H)
        if t >= lens[b]:
            for j in range(3 * H):
                dGx[t, b, j] = 0.0
                dGh[t, b, j] = 0.0
            for j in range(H):
                DH[t % 2, b, j] += DH[1 - t % 2, b, j]
            continue
        for j in range(H):
            dh = DH[1 - t % 2, b, j]
            r, z, n = gates[t, b, j], gates[t, b, H + j], gates[t, b, 2 * H + j]
            dn = dh * (1.0 - z) * (1.0 - n * n)
            dz = dh * (Hs[t, b, j] - n) * z * (1.0 - z)
            dr = dn * HW[t, b, 2 * H + j] * r * (1.0 - r)
            dGx[t, b, j], dGx[t, b, H + j], dGx[t, b, 2 * H + j] = dr, dz, dn
            dGh[t, b, j], dGh[t, b, H + j], dGh[t, b, 2 * H + j] = dr, dz, dn * r
            DH[t % 2, b, j] += dh * z


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
