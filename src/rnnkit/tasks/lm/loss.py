"""The output layer and softmax cross-entropy in one step, with a hand-derived backward.

For N positions with hidden states H (N, H), output weights W_ho (H, V), bias b_o (V,) and
targets y (N,):

    O = H W_ho + b_o,   P = softmax(O),   E = −(1/N) Σ_n log P[n, y_n]

    ∂E/∂O = (P − onehot(y)) / N,   ∂E/∂H = ∂E/∂O · W_hoᵀ,   ∂E/∂W_ho = Hᵀ · ∂E/∂O,
    ∂E/∂b_o = Σ_n ∂E/∂O[n]

Why by hand: autograd's ``cross_entropy(H @ W + b, y)`` keeps the logits and the log-softmax
and, going back, builds a one-hot gradient and a softmax gradient: four passes over an N×V
array (N·V = 7 M floats for the Penn Treebank batch). Here one buffer goes logits →
probabilities (in place) in the forward and → ∂E/∂O (in place) in the backward. With a
vocabulary of 10k words that array dominates the step's memory traffic.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["softmax_cross_entropy"]


class _SoftmaxCE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h: Tensor, W: Tensor, b: Tensor, y: Tensor) -> Tensor:
        o = torch.addmm(b, h, W)  # (N, V) logits
        lse = torch.logsumexp(o, dim=1, keepdim=True)  # (N, 1)
        picked = o.gather(1, y[:, None])  # (N, 1)
        loss = (lse - picked).mean()
        if any(ctx.needs_input_grad[:3]):
            p = o.sub_(lse).exp_()  # (N, V) softmax, in place
            ctx.save_for_backward(h, W, p, y)
        return loss

    @staticmethod
    def backward(ctx, grad: Tensor):
        h, W, p, y = ctx.saved_tensors
        g = p  # (N, V), reused: the graph is freed after backward (retain_graph unsupported)
        g[torch.arange(g.shape[0], device=g.device), y] -= 1.0
        g.mul_(grad / g.shape[0])  # ∂E/∂O
        dh = g @ W.t() if ctx.needs_input_grad[0] else None  # (N, H)
        dW = h.t() @ g if ctx.needs_input_grad[1] else None  # (H, V)
        db = g.sum(0) if ctx.needs_input_grad[2] else None  # (V,)
        return dh, dW, db, None


def softmax_cross_entropy(h: Tensor, W: Tensor, b: Tensor, y: Tensor) -> Tensor:
    """Mean cross-entropy of ``softmax(h W + b)`` against ``y``.

    Shapes: h (N, H), W (H, V), b (V,), y (N,) int64 → scalar. Equal to
    ``F.cross_entropy(h @ W + b, y)`` (tested with gradcheck in float64).
    """
    return _SoftmaxCE.apply(h, W, b, y)
