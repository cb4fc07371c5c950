"""The compiled small-problem loops (fused_numba) equal the torch-op loops of the fused kernels."""

from __future__ import annotations

import itertools

import pytest
import torch

from rnnkit.nn import GRU, LSTM, RNN, fused_numba
from rnnkit.nn.fused_kernels import GRUKernel, LSTMKernel, RNNKernel


def _run(layer, x, lengths, s0, w):
    out, st = layer(x, lengths, s0)
    loss = (out * w).sum() + 2 * sum(s.pow(2).sum() for s in st)  # every state field
    grads = torch.autograd.grad(loss, [x, *layer.parameters()])
    return out, st.h, grads


@pytest.mark.parametrize("cls,kw,bi,use_lengths", [
    (c, k, bi, ul) for (c, k), bi, ul in itertools.product(
        [(RNN, {}), (RNN, {"nonlinearity": "relu"}), (LSTM, {}), (GRU, {}), (GRU, {"reset_after": True}),
         (GRU, {"reset_after": True, "bias": False})], [False, True], [False, True])])
def test_numba_loop_equals_torch_loop(monkeypatch, cls, kw, bi, use_lengths):
    torch.manual_seed(11)
    layer = cls(3, 5, num_layers=2, bidirectional=bi, backend="fused", **kw)
    x = torch.randn(4, 7, 3, requires_grad=True)
    lengths = torch.tensor([7, 2, 5, 1]) if use_lengths else None
    s0 = layer.zero_state(4)
    s0 = type(s0)(*(torch.randn_like(t) for t in s0))
    w = torch.randn(4, 7, 5 * (2 if bi else 1))
    calls = []
    real = fused_numba.use_numba
    monkeypatch.setattr(fused_numba, "use_numba", lambda *a: calls.append(1) or real(*a))
    fast = _run(layer, x, lengths, s0, w)
    assert calls and real(torch.zeros(7, 4, 15), 5)  # the compiled loop did run
    monkeypatch.setattr(fused_numba, "use_numba", lambda *a: False)
    slow = _run(layer, x, lengths, s0, w)
    torch.testing.assert_close(fast[0], slow[0], atol=1e-6, rtol=0)
    torch.testing.assert_close(fast[1], slow[1], atol=1e-6, rtol=0)
    for a, b in zip(fast[2], slow[2], strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_large_problems_skip_the_compiled_loop():
    assert not fused_numba.use_numba(torch.zeros(10, 64, 3 * 256), 256)  # (T, B, G·H)
    assert fused_numba.use_numba(torch.zeros(10, 1, 3 * 64), 64)
    assert not fused_numba.use_numba(torch.zeros(10, 1, 3 * 64, dtype=torch.float16), 64)


def _inputs(G, B=3, T=5, H=3):
    g = torch.Generator().manual_seed(5)
    XW = torch.randn(T, B, G * H, dtype=torch.float64, generator=g, requires_grad=True)  # time-major
    W_h = (0.5 * torch.randn(H, G * H, dtype=torch.float64, generator=g)).requires_grad_()
    h0 = torch.randn(B, H, dtype=torch.float64, generator=g, requires_grad=True)
    mask = (torch.arange(T).unsqueeze(1) < torch.tensor([[T, 2, 4]])).unsqueeze(-1)  # (T, B, 1)
    return XW, W_h, h0, mask


@pytest.mark.parametrize("f", ["tanh", "relu"])
def test_gradcheck_numba_rnn(f):
    XW, W_h, h0, mask = _inputs(1)
    assert fused_numba.use_numba(XW, 3)
    assert torch.autograd.gradcheck(lambda a, b, c: RNNKernel.apply(a, b, c, mask, f), (XW, W_h, h0))


def test_gradcheck_numba_gru():
    XW, W_h, h0, mask = _inputs(3)
    b_hn = torch.randn(3, dtype=torch.float64, requires_grad=True)
    fn = lambda a, b, c, d: GRUKernel.apply(a, b, c, d, mask, True)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (XW, W_h, b_hn, h0))


def test_gradcheck_numba_lstm():
    XW, W_h, h0, mask = _inputs(4)
    c0 = torch.randn_like(h0).requires_grad_()
    assert fused_numba.use_numba(XW, 3)
    fn = lambda a, b, c, d: LSTMKernel.apply(a, b, c, d, mask)  # noqa: E731  (out, H_T, C_T)
    assert torch.autograd.gradcheck(fn, (XW, W_h, h0, c0))


def test_gradcheck_numba_gru_lecture():
    XW, W_h, h0, mask = _inputs(3)
    assert fused_numba.use_numba(XW, 3)
    fn = lambda a, b, c: GRUKernel.apply(a, b, None, c, mask, False)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (XW, W_h, h0))
