"""Many-to-one pooling of recurrent outputs, masked by ``lengths``.

Shape legend: B batch, T time, H features (H·dirs of the recurrent layer).

    last:      h = H_{len}  (forward direction's last valid step; backward direction's first step)
    mean:      h = Σ_t m_t H_t / Σ_t m_t
    max:       h = max_{t: m_t} H_t
    attention: a_t = softmax_t(v · tanh(H_t W + b)) over valid steps;  h = Σ_t a_t H_t
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.nn import time_mask

POOLS = ("last", "mean", "max", "attention")


def last_valid(out: Tensor, lengths: Tensor, bidirectional: bool) -> Tensor:
    """(B, T, H) → (B, H): the forward half at each sequence's last step, the backward half at t=0."""
    idx = (lengths - 1).clamp_min(0)  # (B,)
    last = out[torch.arange(out.shape[0], device=out.device), idx]  # (B, H)
    if not bidirectional:
        return last
    half = out.shape[-1] // 2
    return torch.cat([last[:, :half], out[:, 0, half:]], dim=-1)


class Pool(nn.Module):
    """Pooling by name (see module doc); attention has parameters ``W`` (H, H), ``b``, ``v`` (H,)."""

    def __init__(self, kind: str, features: int, bidirectional: bool) -> None:
        super().__init__()
        self.kind, self.bidirectional = kind, bidirectional
        if kind == "attention":
            self.score = nn.Sequential(nn.Linear(features, features), nn.Tanh(), nn.Linear(features, 1))

    def forward(self, out: Tensor, lengths: Tensor) -> Tensor:
        mask = time_mask(lengths, out.shape[1]).unsqueeze(-1)  # (B, T, 1)
        if self.kind == "last":
            return last_valid(out, lengths, self.bidirectional)
        if self.kind == "mean":
            return (out * mask).sum(1) / mask.sum(1).clamp_min(1)  # (B, H)
        if self.kind == "max":
            return out.masked_fill(~mask, float("-inf")).amax(1)  # (B, H)
        scores = self.score(out).masked_fill(~mask, float("-inf"))  # (B, T, 1)
        weights = torch.softmax(scores, dim=1)  # (B, T, 1)
        return (weights * out).sum(1)  # (B, H)
