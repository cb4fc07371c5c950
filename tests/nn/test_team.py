"""The LSTM's compiled BLAS loops (``team_lstm``) on a team of threads (``team``), and the GEMM
they call (``blas``): known answers against numpy, the reference backend and gradcheck."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from rnnkit.nn import GRU, LSTM, RNN, blas, team, team_kernels
from rnnkit.nn.team_kernels import GRUTeamKernel, LSTMTeamKernel, RNNTeamKernel
from rnnkit.nn.team_rnn import ACTIVATIONS

pytestmark = pytest.mark.skipif(not (blas.AVAILABLE and team.AVAILABLE),
                                reason="this torch build exports no MKL GEMM or GNU OpenMP entry")


@pytest.mark.parametrize("dtype,trans_a,trans_w",
                         list(itertools.product([np.float32, np.float64], [False, True], [False, True])))
def test_gemm_on_row_major_blocks_equals_numpy(dtype, trans_a, trans_w):
    """C[1:4, 2:7] = op(A block) · op(W block) + β·C, with leading dimensions and offsets as
    the loops use them: op(A) is A[1:4, 2:7] or A[2:7, 1:4]ᵀ, op(W) W[1:6, 3:8] or W[3:8, 1:6]ᵀ."""
    rng = np.random.default_rng(0)
    A, C = rng.standard_normal((8, 9)).astype(dtype), rng.standard_normal((6, 10)).astype(dtype)
    W = rng.standard_normal((8, 11)).astype(dtype)
    a_block = A[2:7, 1:4].T if trans_a else A[1:4, 2:7]  # (3, 5)
    w_block = W[3:8, 1:6].T if trans_w else W[1:6, 3:8]  # (5, 5)
    want = C.copy()
    want[1:4, 2:7] = a_block @ w_block + 0.5 * C[1:4, 2:7]
    A_flat = A.reshape(-1)[(2 * 9 + 1) if trans_a else (1 * 9 + 2):]
    W_flat = W.reshape(-1)[(3 * 11 + 1) if trans_w else (1 * 11 + 3):]
    blas.gemm(trans_a, trans_w, 3, 5, 5, A_flat, 9, W_flat, 11, 0.5, C.reshape(-1)[10 + 2:], 10)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(C, want, rtol=tol, atol=tol)


def test_rows_cover_the_batch_once():
    for B, P in [(64, 2), (5, 3), (7, 7), (3, 4)]:
        spans = [team.rows(p, P, B) for p in range(P)]
        assert spans[0][0] == 0 and spans[-1][1] == B
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_frame_holds_addresses_shapes_and_values():
    a, n = np.zeros((2, 3, 4), np.float32), np.arange(5, dtype=np.int64)
    slots = team.frame(a, a[0], n, True, 7)
    assert slots[0].tolist() == [5, 4, 1, 1]  # 5 arguments, float32
    assert slots[1].tolist() == [a.ctypes.data, 2, 3, 4] and slots[2].tolist() == [a.ctypes.data, 1, 3, 4]
    assert slots[3].tolist() == [n.ctypes.data, 1, 1, 5] and slots[4, 0] == 1 and slots[5, 0] == 7
    assert team.frame(a.astype(np.float64))[0, 1] == 8
    with pytest.raises(ValueError, match="C-contiguous"):
        team.frame(a[:, :, ::2])
    with pytest.raises(ValueError, match="float64, the ones before are not"):
        team.frame(a, n, a.astype(np.float64))


@pytest.fixture(params=[1, 2, 3])
def threads(request, monkeypatch):
    """The BLAS loops with 1, 2 or 3 threads at any size (no small-problem loops)."""
    monkeypatch.setattr(team_kernels, "MIN_BATCH", 1)
    monkeypatch.setattr(team_kernels, "MIN_STEP_WORK", 0)
    monkeypatch.setattr(team, "size", lambda B: min(request.param, B))
    return request.param


LAYERS = [(LSTM, {}), (LSTM, {"bias": False}), (RNN, {}), (RNN, {"nonlinearity": "relu"}),
          (RNN, {"nonlinearity": "elu", "bias": False}), (GRU, {}), (GRU, {"bias": False}),
          (GRU, {"reset_after": True}), (GRU, {"reset_after": True, "bias": False})]
GATES = {LSTM: 4, GRU: 3, RNN: 1}


@pytest.mark.parametrize("case,layers,bi,use_lengths",
                         list(itertools.product(range(len(LAYERS)), [1, 2], [False, True], [False, True])))
def test_layer_kernels_equal_reference(threads, case, layers, bi, use_lengths):
    """Outputs, final states, parameter gradients and the initial state's gradient."""
    cls, kw = LAYERS[case]
    torch.manual_seed(1)
    ref = cls(3, 6, num_layers=layers, bidirectional=bi, backend="reference", **kw)
    fused = cls(3, 6, num_layers=layers, bidirectional=bi, backend="fused", **kw)
    fused.load_state_dict(ref.state_dict())
    x = torch.randn(5, 7, 3)
    assert team_kernels.threads_for(x, GATES[cls], 6) == threads
    lengths = torch.tensor([7, 2, 5, 1, 6]) if use_lengths else None
    s0 = ref.zero_state(5)
    results = []
    for m in (ref, fused):
        state = type(s0)(*(torch.randn(t.shape, generator=torch.Generator().manual_seed(i)).requires_grad_()
                           for i, t in enumerate(s0)))
        out, final = m(x, lengths, state)
        w = torch.randn(out.shape, generator=torch.Generator().manual_seed(9))
        ((out * w).sum() + sum((i + 1) * t.pow(2).sum() for i, t in enumerate(final))).backward()
        results.append([out, *final, *(p.grad for p in m.parameters()), *(t.grad for t in state)])
    for got, want in zip(results[1], results[0], strict=True):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_blas_loops_from_a_zero_state_skip_nothing_they_need(threads):
    """No state (H_0 = 0: the first step's matmul is skipped) and no gradient wanted for it."""
    torch.manual_seed(2)
    ref, fused = LSTM(4, 8, backend="reference"), LSTM(4, 8, backend="fused")
    fused.load_state_dict(ref.state_dict())
    x = torch.randn(6, 5, 4, requires_grad=True)
    grads = []
    for m in (ref, fused):
        out, (h, c) = m(x)
        (out.sum() + c.pow(2).sum()).backward()
        grads.append([x.grad.clone(), *(p.grad for p in m.parameters())])
        x.grad = None
    for a, b in zip(grads[1], grads[0], strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("masked,bias", [(False, True), (True, True), (True, False)])
@pytest.mark.parametrize("P", [1, 2, 5])
def test_gradcheck_lstm_team_kernel(masked, bias, P):
    """float64 (dgemm) hand BPTT against finite differences, with pads; P = 5 leaves a thread
    without sequences and one without time steps."""
    g = torch.Generator().manual_seed(3)
    T, B, D, H = 4, 3, 2, 3

    def rand(*shape, scale=1.0):
        return (scale * torch.randn(*shape, dtype=torch.float64, generator=g)).requires_grad_()
    X, W_x, W_h = rand(T, B, D), rand(D, 4 * H, scale=0.5), rand(H, 4 * H, scale=0.5)
    b, h0, c0 = (rand(4 * H) if bias else None), rand(B, H), rand(B, H)
    mask = (torch.arange(T).unsqueeze(1) < torch.tensor([[T, 2, 1]])).unsqueeze(-1) if masked else None
    inputs = (X, W_x, W_h, h0, c0) + ((b,) if bias else ())
    assert torch.autograd.gradcheck(
        lambda x, wx, wh, h, c, *bb: LSTMTeamKernel.apply(x, wx, bb[0] if bb else None, wh, h, c, mask, P), inputs)


@pytest.mark.parametrize("f_name", ACTIVATIONS)
@pytest.mark.parametrize("P", [1, 3])
def test_gradcheck_rnn_team_kernel(f_name, P):
    """float64 hand BPTT of the simple RNN against finite differences, with pads."""
    g = torch.Generator().manual_seed(4)
    T, B, D, H = 4, 3, 2, 3

    def rand(*shape, scale=1.0):
        return (scale * torch.randn(*shape, dtype=torch.float64, generator=g)).requires_grad_()
    X, W_x, W_h, b, h0 = rand(T, B, D), rand(D, H, scale=0.5), rand(H, H, scale=0.5), rand(H), rand(B, H)
    mask = (torch.arange(T).unsqueeze(1) < torch.tensor([[T, 2, 1]])).unsqueeze(-1)
    assert torch.autograd.gradcheck(
        lambda x, wx, bb, wh, h: RNNTeamKernel.apply(x, wx, bb, wh, h, mask, f_name, P), (X, W_x, b, W_h, h0))


@pytest.mark.parametrize("reset_after,bias", [(False, True), (False, False), (True, True), (True, False)])
@pytest.mark.parametrize("P", [1, 3])
def test_gradcheck_gru_team_kernel(reset_after, bias, P):
    """float64 hand BPTT of both GRU variants against finite differences, with pads."""
    g = torch.Generator().manual_seed(5)
    T, B, D, H = 4, 3, 2, 3

    def rand(*shape, scale=1.0):
        return (scale * torch.randn(*shape, dtype=torch.float64, generator=g)).requires_grad_()
    X, W_x, W_h, h0 = rand(T, B, D), rand(D, 3 * H, scale=0.5), rand(H, 3 * H, scale=0.5), rand(B, H)
    b, b_hn = rand(3 * H), rand(H)
    mask = (torch.arange(T).unsqueeze(1) < torch.tensor([[T, 2, 1]])).unsqueeze(-1)
    extra = ((b, b_hn) if reset_after else (b,)) if bias else ()

    def fn(x, wx, wh, h, *bs):
        bb, hn = (bs + (None, None))[:2]
        return GRUTeamKernel.apply(x, wx, bb, wh, hn, h, mask, reset_after, P)
    assert torch.autograd.gradcheck(fn, (X, W_x, W_h, h0, *extra))


def test_h_side_takes_the_named_columns():
    """Σ_t A_tᵀ dG_t[:, c:c+w], split over 2 threads by time (the lecture GRU's W_hh block)."""
    g = torch.Generator().manual_seed(6)
    A, dG = torch.randn(5, 3, 4, generator=g), torch.randn(5, 3, 9, generator=g)
    want = torch.einsum("tbk,tbw->kw", A, dG[:, :, 6:9])
    torch.testing.assert_close(team_kernels._h_side(A, dG, 2, 6, 3), want, atol=1e-5, rtol=1e-5)


def test_a_second_derivative_is_refused(threads):
    """The hand BPTT is not itself differentiable: a gradient penalty (double backward) raises
    instead of silently treating the first gradient as a constant."""
    layer = LSTM(3, 4, backend="fused")
    x = torch.randn(2, 3, 3, requires_grad=True)
    out, _ = layer(x)
    (g,) = torch.autograd.grad(out.pow(2).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="differentiate twice"):
        g.pow(2).sum().backward()
