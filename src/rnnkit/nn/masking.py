"""Variable-length helpers: validate ``lengths``, masks (True = keep), reversal within length.

Shape legend: B batch, T time.
"""

from __future__ import annotations

import torch
from torch import Tensor

from rnnkit.errors import ShapeError


def check_lengths(lengths: Tensor | None, batch: int, steps: int, device: torch.device) -> Tensor | None:
    """Validate ``lengths`` (B,) with 1 ≤ length ≤ T; returns it as int64 on ``device``."""
    if lengths is None:
        return None
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.shape[0] != batch:
        raise ShapeError(f"lengths must have shape ({batch},), got {tuple(lengths.shape)}")
    if lengths.is_floating_point() or lengths.dtype == torch.bool:
        raise ShapeError(f"lengths must be integers, got {lengths.dtype}")
    if batch and (int(lengths.min()) < 1 or int(lengths.max()) > steps):
        raise ShapeError(f"lengths must lie in 1..{steps} (the padded length), "
                         f"got {int(lengths.min())}..{int(lengths.max())}")
    return lengths.to(device=device, dtype=torch.long)


def reverse_padded(x: Tensor, lengths: Tensor | None) -> Tensor:
    """Reverse each sequence in time within its own length; padding stays at the end.

    x (B, T, ...) → (B, T, ...). With ``lengths=None`` this is a plain flip.
    """
    if lengths is None:
        return x.flip(1)
    B, T = x.shape[:2]
    t = torch.arange(T, device=x.device).expand(B, T)  # (B, T)
    L = lengths.unsqueeze(1)  # (B, 1)
    idx = torch.where(t < L, L - 1 - t, t)  # (B, T)
    idx = idx.view(B, T, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, idx)


def time_mask(lengths: Tensor, steps: int) -> Tensor:
    """Boolean mask (B, T): True where t < length (True = keep)."""
    return torch.arange(steps, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)
