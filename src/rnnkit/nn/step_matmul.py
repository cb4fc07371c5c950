"""The recurrent loops' matmul ``H_{t−1} W`` with one fixed ``W`` over all T steps.

Shape legend: B batch, K inner size, N output size (``W`` is (K, N), lecture orientation).

    A W                (``StepMatmul(W, B)(A)``)
    out = A W          (``into``)
    out = A W + C      (``into`` with ``add=C``)
    out += A W         (``add_into``)

On CPU in float32, from ``ONEDNN_MIN_WORK`` multiply-adds per call, the product runs on
oneDNN's GEMM (``torch.ops.mkldnn._linear_pointwise``, the op torch's compiler uses for
``nn.Linear`` on CPU) instead of MKL's ``addmm``. On this project's development CPU (AMD
EPYC, 2 cores) that made whole fused forward+backward passes at (B, T, D, H) =
(256, 50, 256, 512) 2–4% faster in two A/B runs out of three and 8–21% in the third (GRU,
RNN, lecture GRU), and at (128, 50, 256, 512) 3–6%; at 64·256·768 per step it went either
way (+7%, −5%), and below about 64·256·256 MKL is faster. Smaller steps, CUDA, float64 and
reduced precision keep ``addmm``, as does everything while ``torch.backends.mkldnn.enabled``
is False. oneDNN wants the weight in ``nn.Linear``'s (N, K) layout, so ``W`` is transposed
once per loop, not once per step. The op has no ``out=`` argument: its result is added or
copied into the caller's buffer (one pass over B·N).
"""

from __future__ import annotations

import torch
from torch import Tensor

# M·K·N per call from which oneDNN's GEMM is used (a 256·512·256 step; measured in BENCHMARKS.md)
ONEDNN_MIN_WORK = 1 << 25


def _onednn_linear():
    """``torch.ops.mkldnn._linear_pointwise`` where this torch build has it, else None."""
    if not torch.backends.mkldnn.is_available():
        return None
    try:
        return torch.ops.mkldnn._linear_pointwise.default
    except (AttributeError, RuntimeError):
        return None


_LINEAR = _onednn_linear()


def uses_onednn(like: Tensor, rows: int, K: int, N: int) -> bool:
    """Whether a (rows, K) by (K, N) step product on ``like``'s device and dtype runs on oneDNN."""
    return (_LINEAR is not None and torch.backends.mkldnn.enabled and like.device.type == "cpu"
            and like.dtype == torch.float32 and rows * K * N >= ONEDNN_MIN_WORK)


class StepMatmul:
    """``A @ W`` for a fixed ``W`` (K, N) and a stream of ``A`` (B, K), one per time step.

    ``rows`` is B, the rows of every ``A``; it decides (with ``W``'s size, device and dtype)
    whether oneDNN or ``torch.addmm`` runs the products. Backends give equal results up to
    float32 rounding (summation order differs)."""

    def __init__(self, W: Tensor, rows: int) -> None:
        self.onednn = uses_onednn(W, rows, *W.shape)
        # addmm reads W (K, N), oneDNN nn.Linear's (N, K); each is made contiguous once per
        # loop, which costs nothing when W is a transposed view of the other layout
        self.W = None if self.onednn else W.contiguous()
        self.W_linear = W.t().contiguous() if self.onednn else None

    def __call__(self, A: Tensor) -> Tensor:
        """A (B, K) @ W → a new (B, N) tensor."""
        return _LINEAR(A, self.W_linear, None, "none", [], "") if self.onednn else A @ self.W

    def into(self, out: Tensor, A: Tensor, add: Tensor | None = None) -> Tensor:
        """out (B, N) = A (B, K) @ W (+ add (B, N)); returns out."""
        if not self.onednn:
            return torch.mm(A, self.W, out=out) if add is None else torch.addmm(add, A, self.W, out=out)
        return out.copy_(self(A)) if add is None else torch.add(add, self(A), out=out)

    def add_into(self, out: Tensor, A: Tensor) -> Tensor:
        """out (B, N) += A (B, K) @ W; returns out."""
        return out.add_(self(A)) if self.onednn else out.addmm_(A, self.W)
