"""The fused backend (hand-derived BPTT) equals the reference backend; gradcheck of kernels."""

from __future__ import annotations

import itertools

import pytest
import torch

from rnnkit.errors import ConfigError
from rnnkit.nn import GRU, LSTM, RNN, fused_kernels, fused_numba, step_matmul, team_kernels
from rnnkit.nn.fused_kernels import GRUKernel, LSTMKernel, RNNKernel

CASES = [
    (RNN, {}), (RNN, {"nonlinearity": "relu"}), (RNN, {"nonlinearity": "leaky_relu"}),
    (RNN, {"nonlinearity": "elu"}), (RNN, {"nonlinearity": "sigmoid"}),
    (LSTM, {}), (LSTM, {"bias": False}), (GRU, {}), (GRU, {"reset_after": True}),
    (GRU, {"reset_after": True, "bias": False}),
]


def _pair(cls, kw, **layer_kw):
    ref = cls(3, 5, backend="reference", **kw, **layer_kw)
    fused = cls(3, 5, backend="fused", **kw, **layer_kw)
    fused.load_state_dict(ref.state_dict())
    return ref, fused


def _loss(out, state, w):
    return (out * w).sum() + sum((i + 1) * t.pow(2).sum() for i, t in enumerate(state))


@pytest.mark.parametrize("case,layers,bi,use_lengths",
                         list(itertools.product(range(len(CASES)), [1, 2], [False, True], [False, True])))
def test_fused_equals_reference(case, layers, bi, use_lengths):
    cls, kw = CASES[case]
    torch.manual_seed(case)
    ref, fused = _pair(cls, kw, num_layers=layers, bidirectional=bi)
    _assert_same_outputs_states_grads(ref, fused, use_lengths)


def _assert_same_outputs_states_grads(ref, other, use_lengths):
    """Same outputs, final states and parameter gradients (from a random initial state)."""
    x = torch.randn(4, 6, 3)
    lengths = torch.tensor([6, 2, 5, 1]) if use_lengths else None
    s0 = ref.zero_state(4)
    _assert_same_results(ref, other, x, lengths, type(s0)(*(torch.randn_like(t) for t in s0)))


def _assert_same_results(ref, other, x, lengths, s0=None):
    (o1, s1), (o2, s2) = ref(x, lengths, s0), other(x, lengths, s0)
    torch.testing.assert_close(o2, o1, atol=1e-5, rtol=0)
    for a, b in zip(s1, s2, strict=True):
        torch.testing.assert_close(b, a, atol=1e-5, rtol=0)
    w = torch.randn_like(o1)
    _loss(o1, s1, w).backward()
    _loss(o2, s2, w).backward()
    for (name, p), q in zip(ref.named_parameters(), other.parameters(), strict=True):
        torch.testing.assert_close(q.grad, p.grad, atol=1e-5, rtol=1e-5, msg=name)


def test_fused_with_dropout_matches_reference_under_same_seed():
    ref, fused = _pair(LSTM, {}, num_layers=3, dropout=0.3)
    x = torch.randn(2, 5, 3)
    torch.manual_seed(7)
    o1, _ = ref(x)
    torch.manual_seed(7)
    o2, _ = fused(x)
    torch.testing.assert_close(o2, o1, atol=1e-5, rtol=0)


def test_input_gradient_matches():
    ref, fused = _pair(GRU, {}, num_layers=2, bidirectional=True)
    x1 = torch.randn(3, 4, 3, requires_grad=True)
    x2 = x1.detach().clone().requires_grad_()
    ref(x1, torch.tensor([4, 1, 3]))[0].sum().backward()
    fused(x2, torch.tensor([4, 1, 3]))[0].sum().backward()
    torch.testing.assert_close(x2.grad, x1.grad, atol=1e-5, rtol=0)


def _inputs(G, B=2, T=4, H=3, masked=True):
    """Time-major kernel inputs: XW (T, B, G·H), W_h, h0 (B, H), mask (T, B, 1) or None."""
    g = torch.Generator().manual_seed(3)
    XW = torch.randn(T, B, G * H, dtype=torch.float64, generator=g, requires_grad=True)
    W_h = (0.5 * torch.randn(H, G * H, dtype=torch.float64, generator=g)).requires_grad_()
    h0 = torch.randn(B, H, dtype=torch.float64, generator=g, requires_grad=True)
    mask = (torch.arange(T).unsqueeze(1) < torch.tensor([[T, 2]])).unsqueeze(-1) if masked else None
    return XW, W_h, h0, mask


@pytest.fixture(params=["compiled", "torch-ops"])
def backward_steps(request, monkeypatch):
    """Run a test with the compiled backward steps and with their torch-operator versions
    (what CUDA and bfloat16 tensors use); never the whole-loop path for small problems."""
    monkeypatch.setattr(fused_numba, "use_numba", lambda *a: False)
    if request.param == "torch-ops":
        monkeypatch.setattr(fused_kernels, "_compiled", lambda *ts: False)
    return request.param


@pytest.mark.parametrize("masked", [False, True])
def test_gradcheck_lstm_kernel(masked, backward_steps):
    XW, W_h, h0, mask = _inputs(4, masked=masked)
    c0 = torch.randn_like(h0).requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b, c, d: LSTMKernel.apply(a, b, c, d, mask),
                                    (XW, W_h, h0, c0))


@pytest.mark.parametrize("masked,reset_after", list(itertools.product([False, True], [False, True])))
def test_gradcheck_gru_kernel(masked, reset_after, backward_steps):
    XW, W_h, h0, mask = _inputs(3, masked=masked)
    b_hn = torch.randn(3, dtype=torch.float64, requires_grad=True) if reset_after else None
    if reset_after:
        fn = lambda a, b, c, d: GRUKernel.apply(a, b, c, d, mask, True)  # noqa: E731
        args = (XW, W_h, b_hn, h0)
    else:
        fn = lambda a, b, d: GRUKernel.apply(a, b, None, d, mask, False)  # noqa: E731
        args = (XW, W_h, h0)
    assert torch.autograd.gradcheck(fn, args)


@pytest.mark.parametrize("f", ["tanh", "sigmoid", "elu"])
def test_gradcheck_rnn_kernel(f):
    XW, W_h, h0, mask = _inputs(1)
    assert torch.autograd.gradcheck(lambda a, b, c: RNNKernel.apply(a, b, c, mask, f), (XW, W_h, h0))


STEP_CASES = [(RNN, {}), (LSTM, {}), (LSTM, {"bias": False}), (GRU, {}), (GRU, {"reset_after": True}),
              (GRU, {"reset_after": True, "bias": False})]


@pytest.mark.parametrize("case,dtype", list(itertools.product(range(len(STEP_CASES)), [torch.float32, torch.float64])))
def test_step_fused_equals_forward(monkeypatch, case, dtype):
    """``layer.step`` without autograd (LSTM and GRU: the compiled single steps of
    ``fused_numba``) equals the layer's forward pass, and notices changed weights."""
    cls, kw = STEP_CASES[case]
    compiled = []
    for name in ("lstm_step", "gru_step", "gru_lecture_step"):
        real = getattr(fused_numba, name)
        monkeypatch.setattr(fused_numba, name, lambda *a, _real=real: compiled.append(1) or _real(*a))
    layer = cls(3, 4, num_layers=2, **kw).to(dtype).eval()
    x = torch.randn(2, 5, 3, dtype=dtype)
    with torch.no_grad():
        out, st = layer(x)
        s = None
        for t in range(5):
            h, s = layer.step(x[:, t], s)
            torch.testing.assert_close(h, out[:, t], atol=1e-6, rtol=0)
        for a, b in zip(s, st, strict=True):
            torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
        assert bool(compiled) == (cls is not RNN)
        # the weight cache notices a changed parameter
        layer.cell(0).W_hh.mul_(0.5) if cls is not LSTM else layer.cell(0).W_hi.mul_(0.5)
        h2, _ = layer.step(x[:, 0], None)
        out2, _ = layer(x[:, :1])
        torch.testing.assert_close(h2, out2[:, 0], atol=1e-6, rtol=0)


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_step_with_autograd_uses_torch_ops(cls):
    """With gradients on, ``step`` runs torch operators (gradients reach the weights)."""
    layer = cls(3, 4)
    h, _ = layer.step(torch.randn(2, 3), None)
    h.sum().backward()
    assert all(p.grad is not None for p in layer.parameters())


def test_backend_errors():
    with pytest.raises(ConfigError, match="backend"):
        LSTM(3, 4, backend="cuda-magic")
    assert LSTM(3, 4).layers[0].backend == "fused"
    assert LSTM(3, 4, backend="reference").layers[0].backend == "reference"


@pytest.fixture
def torch_kernels(monkeypatch):
    """``auto`` as for problems too big for the compiled loops, whatever the test's size."""
    from rnnkit.nn import layers

    monkeypatch.setattr(layers.RecurrentLayer, "_compiled_loop_wins", lambda self, x: False)


@pytest.fixture
def torch_calls(monkeypatch) -> list:
    """A list that gets one entry per call ``auto`` makes to torch's kernel (``forward_torch``)."""
    from rnnkit.nn import layers

    calls, real = [], layers.forward_torch
    monkeypatch.setattr(layers, "forward_torch", lambda *a: calls.append(1) or real(*a))
    return calls


@pytest.mark.parametrize("bi,use_lengths", list(itertools.product([False, True], [False, True])))
def test_auto_lstm_torch_kernel_equals_reference(torch_kernels, bi, use_lengths):
    ref = LSTM(3, 5, num_layers=2, bidirectional=bi, backend="reference")
    auto = LSTM(3, 5, num_layers=2, bidirectional=bi, backend="auto")
    auto.load_state_dict(ref.state_dict())
    _assert_same_outputs_states_grads(ref, auto, use_lengths)


@pytest.mark.parametrize("cls,kw", [(GRU, {"reset_after": True}), (RNN, {"nonlinearity": "relu"}), (LSTM, {})])
def test_auto_inference_through_torch_kernel_equals_reference(torch_kernels, cls, kw):
    ref = cls(3, 5, num_layers=2, bidirectional=True, backend="reference", **kw)
    auto = cls(3, 5, num_layers=2, bidirectional=True, **kw)
    auto.load_state_dict(ref.state_dict())
    x, lengths = torch.randn(4, 6, 3), torch.tensor([6, 2, 5, 1])
    s0 = ref.zero_state(4)
    for state in (None, type(s0)(*(torch.randn_like(t) for t in s0))):  # torch sorts by length: states follow
        with torch.no_grad():
            (o1, s1), (o2, s2) = ref(x, lengths, state), auto(x, lengths, state)
        torch.testing.assert_close(o2, o1, atol=1e-5, rtol=0)
        for a, b in zip(s1, s2, strict=True):
            torch.testing.assert_close(b, a, atol=1e-5, rtol=0)


@pytest.mark.parametrize("batch,want_torch", [(4, False), (65, True)])
@pytest.mark.parametrize("kept", [False, True])
def test_auto_gru_training_dispatch_by_batch(monkeypatch, torch_kernels, torch_calls, batch, want_torch, kept):
    """GRU training under ``auto``: the fused kernel for small batches, torch's for B > 64
    unless freed memory is kept (then always fused); always the reference's results."""
    from rnnkit.nn import layers

    monkeypatch.setattr(layers, "freed_memory_kept", lambda: kept)
    want_torch = want_torch and not kept
    ref = GRU(3, 4, reset_after=True, backend="reference")
    auto = GRU(3, 4, reset_after=True)
    auto.load_state_dict(ref.state_dict())
    _assert_same_results(ref, auto, torch.randn(batch, 5, 3), torch.randint(1, 6, (batch,)))
    assert bool(torch_calls) == want_torch


@pytest.fixture
def no_layer_kernels(monkeypatch):
    """``auto`` as on a torch build without MKL or GNU OpenMP (no ``team_kernels``)."""
    from rnnkit.nn import layers

    monkeypatch.setattr(layers, "threads_for", lambda *a: 0)


@pytest.mark.parametrize("cls,kw,B,H,grad,want_torch", [
    (LSTM, {}, 1, 64, True, False), (LSTM, {}, 4, 32, False, False), (LSTM, {}, 8, 32, True, True),
    (LSTM, {}, 1, 128, True, True), (GRU, {"reset_after": True}, 16, 64, False, False),
    (GRU, {"reset_after": True}, 32, 128, False, True), (RNN, {}, 4, 256, False, False),
    (RNN, {}, 64, 128, False, True)])
def test_auto_small_problems_run_the_compiled_loops(no_layer_kernels, torch_calls, cls, kw, B, H, grad, want_torch):
    """On CPU, ``auto`` sends small problems to the fused path (its compiled whole loops),
    larger ones (without the layer kernels) to torch's kernel; the thresholds are the ones
    BENCHMARKS.md measured."""
    layer = cls(3, H, **kw)
    with torch.set_grad_enabled(grad):
        layer(torch.randn(B, 2, 3))
    assert bool(torch_calls) == want_torch


@pytest.mark.skipif(team_kernels.threads_for(torch.randn(64, 2, 3), 3, 128) != 2,
                    reason="needs 2 threads and torch's MKL / GNU OpenMP")
@pytest.mark.parametrize("cls,kw,B,H,grad,lengths", [
    (GRU, {"reset_after": True}, 32, 128, False, None), (GRU, {}, 8, 128, True, None), (RNN, {}, 64, 128, False, None),
    (RNN, {"nonlinearity": "relu"}, 8, 128, True, [2] * 4 + [1] * 4)])
def test_auto_runs_gru_and_rnn_layer_kernels(torch_calls, cls, kw, B, H, grad, lengths):
    """GRU and RNN layers that the layer kernels take run them under ``auto``, in training and
    (with ≤ 5% padding) inference; training with more padding runs the fused path too."""
    layer = cls(3, H, **kw)
    with torch.set_grad_enabled(grad):
        layer(torch.randn(B, 2, 3), None if lengths is None else torch.tensor(lengths))
    assert not torch_calls


@pytest.mark.skipif(team_kernels.threads_for(torch.randn(64, 2, 3), 4, 128) != 2,
                    reason="needs 2 threads and torch's MKL / GNU OpenMP")
@pytest.mark.parametrize("grad,B,H,lengths,x_grad,layers,want_torch", [
    (True, 32, 128, None, False, 1, False), (True, 32, 128, [2] * 31 + [1], False, 1, False),
    (True, 32, 128, [2] * 16 + [1] * 16, False, 1, True), (False, 32, 128, None, False, 1, True),
    (True, 16, 128, None, False, 1, True), (True, 8, 64, None, False, 1, False), (True, 8, 32, None, False, 1, True),
    (True, 32, 128, None, True, 1, True), (True, 32, 128, None, False, 2, False), (True, 32, 128, None, False, 3, True)])
def test_auto_lstm_training_runs_the_layer_kernel(torch_calls, grad, B, H, lengths, x_grad, layers, want_torch):
    """On CPU with 2 threads, ``auto`` trains an LSTM of 1 or 2 layers on an input without a
    gradient with the fused layer kernel (``team_kernels``), unless more than 5% of the steps
    are padding (2% and 25% here) or a thread would get fewer than 16 sequences at H > 64 (but
    4 are enough at H = 64); in inference, for 3 layers or for an input that needs a gradient it
    runs torch's kernel; (8, 32) is too small for the layer kernel."""
    layer = LSTM(3, H, num_layers=layers)
    x = torch.randn(B, 2, 3, requires_grad=x_grad)
    with torch.set_grad_enabled(grad):
        layer(x, None if lengths is None else torch.tensor(lengths))
    assert bool(torch_calls) == want_torch


@pytest.mark.skipif(step_matmul._LINEAR is None, reason="this torch build has no oneDNN linear op")
@pytest.mark.parametrize("cls,B,H,want_torch", [(GRU, 64, 512, False), (GRU, 64, 256, True), (RNN, 64, 512, True)])
def test_auto_inference_of_large_grus_runs_fused(no_layer_kernels, torch_calls, cls, B, H, want_torch):
    """Without the layer kernels, ``auto`` runs in inference a GRU whose steps go to oneDNN
    (B·H·3H ≥ 2²⁵) on the fused path, which beats torch's GRU there; smaller GRUs and RNNs run
    torch's kernel."""
    layer = cls(3, H, reset_after=True) if cls is GRU else cls(3, H)
    with torch.no_grad():
        layer(torch.randn(B, 2, 3))
    assert bool(torch_calls) == want_torch


@pytest.mark.parametrize("cls,kw", [(GRU, {"reset_after": True}), (GRU, {}), (LSTM, {}), (RNN, {})])
def test_fused_under_cpu_autocast_follows_reference(cls, kw):
    """--amp on CPU: bfloat16 autocast through the fused kernels (whose out= matmuls autocast
    does not reach) gives the reference's outputs and gradients to bfloat16 accuracy."""
    torch.manual_seed(0)
    fused, ref = cls(4, 40, backend="fused", **kw), cls(4, 40, backend="reference", **kw)
    ref.load_state_dict(fused.state_dict())
    x, lengths = torch.randn(70, 6, 4), torch.randint(1, 7, (70,))  # B·H large: no numba loop
    results = []
    for m in (fused, ref):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out, _ = m(x, lengths)
        out.float().pow(2).mean().backward()
        results.append((out.float(), [p.grad for p in m.parameters()]))
    (o1, g1), (o2, g2) = results
    assert (o1 - o2).abs().max() < 0.05
    for a, b in zip(g1, g2, strict=True):
        assert a.dtype == torch.float32 and (a - b).norm() <= 0.05 * b.norm() + 1e-6


@pytest.mark.skipif(step_matmul._LINEAR is None, reason="this torch build has no oneDNN linear op")
@pytest.mark.parametrize("case,torch_steps,use_lengths",
                         list(itertools.product(range(len(CASES)), [False, True], [False, True])))
def test_fused_on_onednn_equals_reference(monkeypatch, case, torch_steps, use_lengths):
    """The loops' matmuls on oneDNN (``step_matmul``), not the whole compiled loops."""
    monkeypatch.setattr(step_matmul, "ONEDNN_MIN_WORK", 0)
    monkeypatch.setattr(fused_numba, "use_numba", lambda *a: False)
    if torch_steps:  # the backward's element-wise steps as torch operators (CUDA's path)
        monkeypatch.setattr(fused_kernels, "_compiled", lambda *ts: False)
    cls, kw = CASES[case]
    torch.manual_seed(case)
    ref, fused = _pair(cls, kw, num_layers=2, bidirectional=True)
    _assert_same_outputs_states_grads(ref, fused, use_lengths)


@pytest.mark.parametrize("cls", [LSTM, GRU, RNN])
def test_step_weight_cache_built_in_inference_mode_serves_autograd(cls):
    """Frozen weights: a cache built under inference_mode still lets a later step
    back-propagate to its input (the cached stacks are ordinary tensors)."""
    layer = cls(3, 4).eval().requires_grad_(False)
    with torch.inference_mode():
        layer.step(torch.randn(2, 3), None)
    x = torch.randn(2, 3, requires_grad=True)
    h, _ = layer.step(x, None)
    h.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
