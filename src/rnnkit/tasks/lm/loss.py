"""The output layer and softmax cross-entropy in one step, with a hand-derived backward.

For N positions with hidden states H (N, H), output weights W_ho (H, V), bias b_o (V,) and
targets y (N,):

    O = H W_ho + b_o,   P = softmax(O),   E = −(1/N) Σ_n log P[n, y_n]

    ∂E/∂O = (P − onehot(y)) / N,   ∂E/∂H = ∂E/∂O · W_hoᵀ,   ∂E/∂W_ho = Hᵀ · ∂E/∂O,
    ∂E/∂b_o = Σ_n ∂E/∂O[n]

Why by hand: autograd's ``cross_entropy(H @ W + b, y)`` keeps the logits and the log-softmax
and, going back, builds a one-hot gradient and a softmax gradient: four passes over an N×V
array (N·V = 7 M floats for the Penn Treebank batch), each in freshly allocated memory. Here one buffer goes logits →
probabilities (in place) in the forward and → N·∂E/∂O (in place) in the backward, the 1/N
folded into the (smaller) results; the buffer is reused from step to step. With a vocabulary
of 10k words that array dominates the step's memory traffic.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["softmax_cross_entropy"]


class _Buffers:
    """Reusable (N, V) work arrays.

    A fresh 28 MB array every step costs more in page faults than the softmax itself, so the
    forward borrows an array here and the backward returns it. A forward whose backward never
    runs simply drops its array (a new one is made next time).
    """

    def __init__(self) -> None:
        self.free: list[Tensor] = []

    def take(self, n: int, v: int, like: Tensor) -> Tensor:
        for i, t in enumerate(self.free):
            if t.shape == (n, v) and t.dtype == like.dtype and t.device == like.device:
                return self.free.pop(i)
        return torch.empty(n, v, dtype=like.dtype, device=like.device)

    def give(self, t: Tensor) -> None:
        self.free = [*self.free[-1:], t]  # keep at most two


_BUFFERS = _Buffers()


def _low_precision(t: Tensor) -> torch.dtype | None:
    """The autocast dtype in force for ``t``'s device (mixed precision), or None."""
    kind = t.device.type
    return torch.get_autocast_dtype(kind) if torch.is_autocast_enabled(kind) else None


def _mm(a: Tensor, b: Tensor, low: torch.dtype | None) -> Tensor:
    """a @ b as given, or with a float32 result from ``low``-precision operands."""
    return a @ b if low is None else (a.to(low) @ b.to(low)).float()


class _SoftmaxCE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h: Tensor, W: Tensor, b: Tensor, y: Tensor, inplace: bool) -> Tensor:
        low = _low_precision(h)
        o = _BUFFERS.take(h.shape[0], W.shape[1], W)  # (N, V) float32, like the weights
        if low is None:
            torch.mm(h, W, out=o).add_(b)  # logits
        else:  # mixed precision: the matmul in `low`, the softmax in float32
            o.copy_(torch.mm(h.to(low), W.to(low))).add_(b)
        picked = o.gather(1, y[:, None])  # (N, 1)
        m = o.amax(dim=1, keepdim=True)  # (N, 1)
        p = o.sub_(m).exp_()  # (N, V) exp(O − max), in place
        z = p.sum(dim=1, keepdim=True)  # (N, 1)
        loss = (m + z.log() - picked).mean()  # log Σ exp O − O_y
        if any(ctx.needs_input_grad[:3]):
            p.div_(z)  # softmax
            ctx.inplace, ctx.low = inplace, low
            ctx.save_for_backward(h, W, p, y)
        else:
            _BUFFERS.give(o)
        return loss

    @staticmethod
    def backward(ctx, grad: Tensor):
        h, W, p, y = ctx.saved_tensors
        g = p if ctx.inplace else p.clone()  # (N, V); in place: a second backward raises
        g[torch.arange(g.shape[0], device=g.device), y] -= 1.0  # N·∂E/∂O
        scale = grad / g.shape[0]
        dh = _mm(g, W.t(), ctx.low).mul_(scale).to(h.dtype) if ctx.needs_input_grad[0] else None  # (N, H)
        dW = _mm(h.t(), g, ctx.low).mul_(scale) if ctx.needs_input_grad[1] else None  # (H, V)
        db = g.sum(0).mul_(scale) if ctx.needs_input_grad[2] else None  # (V,)
        if ctx.inplace:
            _BUFFERS.give(g)
        return dh, dW, db, None, None


def softmax_cross_entropy(h: Tensor, W: Tensor, b: Tensor, y: Tensor, *, inplace: bool = False) -> Tensor:
    """Mean cross-entropy of ``softmax(h W + b)`` against ``y``.

    Shapes: h (N, H), W (H, V), b (V,), y (N,) int64 → scalar. Equal to
    ``F.cross_entropy(h @ W + b, y)`` (tested with gradcheck in float64). ``inplace=True``
    (training) turns the saved probabilities into the gradient in place and recycles the
    buffer: one backward per forward, as in a training step; a second backward through the
    same graph (``retain_graph``) raises autograd's in-place error instead of a wrong result.
    Under autocast (``--amp``) the three matmuls run in the autocast dtype (bfloat16 on CPU)
    with float32 results; the softmax and its gradient stay in float32.
    """
    return _SoftmaxCE.apply(h, W, b, y, inplace)
