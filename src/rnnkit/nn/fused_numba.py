"""Compiled time loops for small recurrent problems (numba), used inside the fused kernels.

For a small batch and hidden size (e.g. B=1, H=64) a time step is a few thousand
multiply-adds, and calling ~10 torch operators per step costs far more than the arithmetic.
These loops run the same recursions as ``fused_kernels`` (RNN with tanh/relu, GRU with
``reset_after``) as one compiled loop per sequence; the kernels still do the input
projection and the weight gradients as large torch matmuls. Same conventions as there:
XW (T, B, G·H) pre-projected inputs (time-major), W (H, G·H), lens (B,) valid steps, padded steps keep the
state and pass gradients through; gate/aux/gradient buffers are zero at padded steps.

Shape legend: B batch, T time, H hidden, G gates (GRU 3, RNN 1).
"""

from __future__ import annotations

import math

import numba
import numpy as np
import torch
from torch import Tensor

SMALL_STEP_WORK = 1 << 16  # B·G·H² multiply-adds per step below which the compiled loop wins
NUMBA_RNN_ACTIVATIONS = ("tanh", "relu")


def use_numba(XW: Tensor, H: int) -> bool:
    """Whether a problem is small enough (and on CPU, float) for the compiled loop."""
    _, B, GH = XW.shape
    return (XW.device.type == "cpu" and XW.dtype in (torch.float32, torch.float64)
            and B * GH * H <= SMALL_STEP_WORK)


def lengths_of(mask: Tensor | None, B: int, T: int) -> np.ndarray:
    """Valid steps per sequence (B,) from a (T, B, 1) prefix mask."""
    if mask is None:
        return np.full(B, T, dtype=np.int64)
    return mask[:, :, 0].sum(0).cpu().numpy().astype(np.int64)


def np_of(t: Tensor) -> np.ndarray:
    return t.detach().contiguous().numpy()


@numba.njit(cache=True, fastmath=False)
def _vec_mat(v, W, out):  # out[j] += Σ_k v[k] W[k, j]
    for k in range(W.shape[0]):
        vk = v[k]
        for j in range(W.shape[1]):
            out[j] += vk * W[k, j]


@numba.njit(cache=True, fastmath=False)
def _mat_vec(W, v, out):  # out[k] += Σ_j W[k, j] v[j]
    for k in range(W.shape[0]):
        s = 0.0
        for j in range(W.shape[1]):
            s += W[k, j] * v[j]
        out[k] += s


@numba.njit(cache=True)
def rnn_forward(XW, W, h0, lens, relu):
    """H_t = f(XW_t + H_{t−1} W): returns Hs (T+1, B, H) and A (T, B, H) = f(z_t)."""
    T, B, H = XW.shape
    Hs = np.zeros((T + 1, B, H), XW.dtype)
    A = np.zeros((T, B, H), XW.dtype)
    for b in range(B):
        Hs[0, b] = h0[b]
        for t in range(T):
            if t >= lens[b]:
                Hs[t + 1, b] = Hs[t, b]
                continue
            z = XW[t, b].copy()
            _vec_mat(Hs[t, b], W, z)
            for j in range(H):
                A[t, b, j] = max(z[j], 0.0) if relu else math.tanh(z[j])
            Hs[t + 1, b] = A[t, b]
    return Hs, A


@numba.njit(cache=True)
def rnn_backward(A, d_out, dhT, W, lens, relu):
    """BPTT: returns dZ (T, B, H) = ∂E/∂z_t and dh0 (B, H); d_out is zero at pads."""
    T, B, H = A.shape
    dZ = np.zeros_like(A)
    dh0 = np.zeros_like(dhT)
    for b in range(B):
        dh = dhT[b].copy()
        for t in range(lens[b] - 1, -1, -1):
            for j in range(H):
                a = A[t, b, j]
                fp = (1.0 if a > 0 else 0.0) if relu else 1.0 - a * a
                dZ[t, b, j] = (dh[j] + d_out[t, b, j]) * fp
            dh[:] = 0.0
            _mat_vec(W, dZ[t, b], dh)
        dh0[b] = dh
    return dZ, dh0


@numba.njit(cache=True)
def gru_forward(XW, W, b_hn, h0, lens):
    """GRU, reset_after: Hs (T+1, B, H), gates (T, B, 3H) = R Z H̃, aux (T, B, H) = H W_hh + b_hn."""
    T, B, G3 = XW.shape
    H = G3 // 3
    Hs = np.zeros((T + 1, B, H), XW.dtype)
    gates = np.zeros((T, B, G3), XW.dtype)
    aux = np.zeros((T, B, H), XW.dtype)
    for b in range(B):
        Hs[0, b] = h0[b]
        for t in range(T):
            h = Hs[t, b]
            if t >= lens[b]:
                Hs[t + 1, b] = h
                continue
            hw = np.zeros(G3, XW.dtype)
            _vec_mat(h, W, hw)
            for j in range(H):
                r = 1.0 / (1.0 + math.exp(-(XW[t, b, j] + hw[j])))
                z = 1.0 / (1.0 + math.exp(-(XW[t, b, H + j] + hw[H + j])))
                hn = hw[2 * H + j] + b_hn[j]
                n = math.tanh(XW[t, b, 2 * H + j] + r * hn)
                gates[t, b, j], gates[t, b, H + j], gates[t, b, 2 * H + j] = r, z, n
                aux[t, b, j] = hn
                Hs[t + 1, b, j] = n + z * (h[j] - n)
    return Hs, gates, aux


@numba.njit(cache=True)
def gru_backward(Hs, gates, aux, d_out, dhT, W, lens):
    """BPTT for ``gru_forward``: dG (T, B, 3H) (pre-activations, x side), dA = ∂E/∂hn, dh0."""
    T, B, G3 = gates.shape
    H = G3 // 3
    dG = np.zeros_like(gates)
    dA = np.zeros_like(aux)
    dh0 = np.zeros_like(dhT)
    v = np.zeros(G3, gates.dtype)  # ∂E/∂(H_{t−1} W) = (dr, dz, dA_t)
    for b in range(B):
        dh = dhT[b].copy()
        for t in range(lens[b] - 1, -1, -1):
            for j in range(H):
                R, Z, N = gates[t, b, j], gates[t, b, H + j], gates[t, b, 2 * H + j]
                dht = dh[j] + d_out[t, b, j]
                dn = dht * (1 - Z) * (1 - N * N)
                dr = dn * aux[t, b, j] * R * (1 - R)
                dz = dht * (Hs[t, b, j] - N) * Z * (1 - Z)
                dG[t, b, j], dG[t, b, H + j], dG[t, b, 2 * H + j] = dr, dz, dn
                dA[t, b, j] = dn * R
                v[j], v[H + j], v[2 * H + j] = dr, dz, dn * R
                dh[j] = dht * Z
            _mat_vec(W, v, dh)
        dh0[b] = dh
    return dG, dA, dh0
