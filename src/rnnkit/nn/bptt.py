"""Backpropagation through time, written out for the second lecture's example.

    s_t = tanh(x_t U + s_{t-1} W)        ŷ_t = softmax(s_t V)        E = −Σ_t y_t · log ŷ_t

The lecture writes ``U x_t``; we use the package's row orientation ``x_t U`` (U ∈ R^{D×H},
W ∈ R^{H×H}, V ∈ R^{H×K}) so the formulas are the lecture's, transposed. Shapes: x (B, T, D),
y (B, T) class indices, s (B, T+1, H) with s_0 = 0, ŷ (B, T, K). E sums over batch and time.

Two backward passes: ``bptt_backward`` is the usual O(T) recursion; ``bptt_backward_paths``
is the lecture's formula literally,

    ∂E_t/∂W = Σ_{k≤t} ∂E_t/∂ŷ_t · ∂ŷ_t/∂s_t · (Π_{j=k+1..t} ∂s_j/∂s_{j−1}) · ∂⁺s_k/∂W,

O(T²), for teaching and as a check. ``jacobian_product_norms`` shows why gradients vanish
or explode: ‖Π_{j=k+1..T} ∂s_j/∂s_{j−1}‖ as k moves away from T.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor


class BPTTCache(NamedTuple):
    """What the backward pass needs: inputs, states (s_0..s_T) and probabilities."""

    x: Tensor       # (B, T, D)
    s: Tensor       # (B, T+1, H)
    probs: Tensor   # (B, T, K)


class BPTTGrads(NamedTuple):
    dU: Tensor  # (D, H)
    dW: Tensor  # (H, H)
    dV: Tensor  # (H, K)


def bptt_forward(x: Tensor, y: Tensor, U: Tensor, W: Tensor, V: Tensor) -> tuple[Tensor, BPTTCache]:
    """Forward pass: returns the loss E and the cache."""
    B, T, _ = x.shape
    s = [x.new_zeros(B, W.shape[0])]  # s_0: (B, H)
    for t in range(T):
        s.append(torch.tanh(x[:, t] @ U + s[-1] @ W))  # (B, H)
    S = torch.stack(s, 1)  # (B, T+1, H)
    probs = torch.softmax(S[:, 1:] @ V, dim=-1)  # (B, T, K)
    E = -torch.log(probs.gather(-1, y.unsqueeze(-1))).sum()
    return E, BPTTCache(x, S, probs)


def _output_delta(cache: BPTTCache, y: Tensor) -> Tensor:
    """∂E/∂(s_t V) = ŷ_t − y_t (softmax + cross-entropy): (B, T, K)."""
    return cache.probs - torch.nn.functional.one_hot(y, cache.probs.shape[-1]).to(cache.probs.dtype)


def bptt_backward(cache: BPTTCache, y: Tensor, U: Tensor, W: Tensor, V: Tensor) -> BPTTGrads:
    """O(T) backward recursion: δ_t = (∂E/∂s_t from ŷ_t and from s_{t+1}) ⊙ (1 − s_t²)."""
    x, S, _ = cache
    T = x.shape[1]
    g_out = _output_delta(cache, y)  # (B, T, K)
    dV = torch.einsum("bth,btk->hk", S[:, 1:], g_out)  # (H, K)
    dU, dW = torch.zeros_like(U), torch.zeros_like(W)
    ds_next = torch.zeros_like(S[:, 0])  # (B, H): ∂E/∂s_t arriving from step t+1
    for t in reversed(range(T)):
        ds = g_out[:, t] @ V.T + ds_next  # (B, H)
        dz = ds * (1 - S[:, t + 1] ** 2)  # (B, H)  through tanh
        dU += x[:, t].T @ dz  # (D, H)
        dW += S[:, t].T @ dz  # (H, H)
        ds_next = dz @ W.T  # (B, H)
    return BPTTGrads(dU, dW, dV)


def bptt_backward_paths(cache: BPTTCache, y: Tensor, U: Tensor, W: Tensor, V: Tensor) -> BPTTGrads:
    """The lecture's sum over paths: for each E_t and each k ≤ t, multiply the Jacobians."""
    x, S, _ = cache
    T = x.shape[1]
    g_out = _output_delta(cache, y)  # (B, T, K)
    dV = torch.einsum("bth,btk->hk", S[:, 1:], g_out)
    dU, dW = torch.zeros_like(U), torch.zeros_like(W)
    for t in range(T):
        delta = g_out[:, t] @ V.T  # ∂E_t/∂s_t: (B, H)
        for k in range(t, -1, -1):  # walk back: delta = ∂E_t/∂s_k
            dz = delta * (1 - S[:, k + 1] ** 2)  # ∂E_t/∂z_k, z_k = x_k U + s_{k-1} W
            dU += x[:, k].T @ dz
            dW += S[:, k].T @ dz
            delta = dz @ W.T  # · ∂s_k/∂s_{k-1}
    return BPTTGrads(dU, dW, dV)


def jacobian_product_norms(cache: BPTTCache, W: Tensor) -> Tensor:
    """‖Π_{j=k+1..T} ∂s_j/∂s_{j−1}‖₂ (spectral norm, averaged over the batch) for k = T−1..0.

    ∂s_j/∂s_{j−1} = diag(1 − s_j²) Wᵀ (row form). Returns (T,), entry k for distance T − k.
    """
    S = cache.s  # (B, T+1, H)
    B, T1, H = S.shape
    J = torch.eye(H, dtype=S.dtype, device=S.device).expand(B, H, H)  # (B, H, H)
    norms = []
    for j in range(T1 - 1, 0, -1):
        J = J @ ((1 - S[:, j] ** 2).unsqueeze(-1) * W.T)  # (B, H, H): · diag(1 − s_j²) Wᵀ
        norms.append(torch.linalg.matrix_norm(J, ord=2).mean())
    return torch.stack(norms)
