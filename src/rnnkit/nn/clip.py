"""Gradient clipping by global norm, the lecture's algorithm."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor


def clip_grad_norm(parameters: Iterable[Tensor] | Tensor, max_norm: float) -> Tensor:
    """Clip the gradients of ``parameters`` in place; return their total norm before clipping.

        ĝ ← ∂E/∂θ
        if ‖ĝ‖ ≥ threshold:  ĝ ← threshold / ‖ĝ‖ · ĝ

    ``‖ĝ‖`` is the L2 norm of all gradients concatenated. Matches
    ``torch.nn.utils.clip_grad_norm_`` (which adds 1e-6 to the denominator; so do we, so a
    norm exactly at the threshold is left, to rounding, unchanged).
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    norms = torch.stack([torch.linalg.vector_norm(g.detach(), 2).to(grads[0].device) for g in grads])
    total = torch.linalg.vector_norm(norms, 2)  # ‖ĝ‖
    if float(total) >= max_norm:
        scale = max_norm / (total + 1e-6)
        for g in grads:
            g.detach().mul_(scale.to(g.device, g.dtype))
    return total
