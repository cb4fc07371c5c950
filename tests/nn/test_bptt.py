"""The lecture's BPTT example by hand against autograd (float64) and gradcheck."""

from __future__ import annotations

import torch

from rnnkit.nn import bptt_backward, bptt_backward_paths, bptt_forward, jacobian_product_norms


def _problem(T=6, B=3, D=4, H=5, K=7):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(B, T, D, generator=g, dtype=torch.float64)
    y = torch.randint(0, K, (B, T), generator=g)
    U = (0.5 * torch.randn(D, H, generator=g, dtype=torch.float64)).requires_grad_()
    W = (0.5 * torch.randn(H, H, generator=g, dtype=torch.float64)).requires_grad_()
    V = (0.5 * torch.randn(H, K, generator=g, dtype=torch.float64)).requires_grad_()
    return x, y, U, W, V


def test_hand_bptt_equals_autograd_float64():
    x, y, U, W, V = _problem()
    E, cache = bptt_forward(x, y, U, W, V)
    E.backward()
    for grads in (bptt_backward(cache, y, U, W, V), bptt_backward_paths(cache, y, U, W, V)):
        for got, p in zip(grads, (U, W, V), strict=True):
            assert (got - p.grad).abs().max() <= 1e-8


def test_gradcheck_through_hand_bptt():
    x, y, U, W, V = _problem(T=4, B=2, D=3, H=3, K=4)

    class HandBPTT(torch.autograd.Function):
        @staticmethod
        def forward(ctx, U, W, V):
            E, cache = bptt_forward(x, y, U, W, V)
            ctx.save_for_backward(U, W, V)
            ctx.cache = cache
            return E

        @staticmethod
        def backward(ctx, gE):
            U, W, V = ctx.saved_tensors
            return tuple(gE * g for g in bptt_backward(ctx.cache, y, U, W, V))

    inputs = tuple(p.detach().requires_grad_() for p in (U, W, V))
    assert torch.autograd.gradcheck(HandBPTT.apply, inputs, eps=1e-6, atol=1e-7)


def test_jacobian_products_vanish_with_small_weights_and_grow_with_large():
    x, y, U, W, V = _problem(T=20)
    with torch.no_grad():
        small = jacobian_product_norms(bptt_forward(x, y, U, 0.1 * W, V)[1], 0.1 * W)
        big = jacobian_product_norms(bptt_forward(x, y, 0.01 * U, 3 * W, V)[1], 3 * W)
    assert small[-1] < 1e-10 < small[0]
    assert big[-1] > big[0]
