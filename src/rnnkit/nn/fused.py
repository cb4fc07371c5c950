"""The fast path: hoisted input projection + fused gates + hand-derived BPTT.

``run_fused(cell, x, lengths, state, reverse)`` is what ``Recurrent`` calls when its backend
is ``"fused"``: one matmul ``X W_x + b`` for all steps (time-major, T, B, G·H), then a kernel from
``fused_kernels`` whose loop only computes ``H_{t−1} W_h`` and whose backward is the BPTT
recursion written by hand. Deep and bidirectional layers compose it exactly like the
reference loop. ``step_fused`` is the single-step path for generation, with the stacked
weights cached between calls (rebuilt when a parameter changes).

Shape legend: B batch, T time, D input, H hidden, G gates.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from rnnkit.nn import fused_numba as nb
from rnnkit.nn.cells import GRUCell, LSTMCell, RNNCell
from rnnkit.nn.fused_kernels import GRUKernel, LSTMKernel, RNNKernel
from rnnkit.nn.masking import reverse_padded, time_mask
from rnnkit.nn.state import LSTMState, RNNState
from rnnkit.nn.team_kernels import GRUTeamKernel, LSTMTeamKernel, RNNTeamKernel, threads_for

FUSED_ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "elu", "identity")


def supports_fused(cell: nn.Module) -> bool:
    """Whether ``cell`` has a fused kernel (all three cells; RNN with an element-wise f)."""
    if isinstance(cell, RNNCell):
        return cell.nonlinearity in FUSED_ACTIVATIONS
    return isinstance(cell, (LSTMCell, GRUCell))


def stacked_weights(cell: nn.Module) -> tuple[Tensor, Tensor, Tensor | None]:
    """W_x (D, G·H), W_h (H, G·H), b (G·H) or None, gates in ``cell.gates`` order."""
    W_x = torch.cat([getattr(cell, f"W_x{g}") for g in cell.gates], 1)
    W_h = torch.cat([getattr(cell, f"W_h{g}") for g in cell.gates], 1)
    b = torch.cat([getattr(cell, f"b_{g}") for g in cell.gates]) if cell.bias else None
    return W_x, W_h, b


def _project(x: Tensor, W_x: Tensor, b: Tensor | None) -> Tensor:
    """X W_x + b for every step at once: (B, T, D) → time-major (T, B, G·H), one matmul.

    Free of copies when x is itself a transposed time-major output (a lower fused layer's)."""
    B, T, D = x.shape
    flat = x.transpose(0, 1).reshape(T * B, D)  # (T·B, D)
    XW = flat @ W_x if b is None else torch.addmm(b, flat, W_x)
    return XW.view(T, B, -1)


def run_fused(cell: nn.Module, x: Tensor, lengths: Tensor | None, state, reverse: bool):
    """One direction of one layer: x (B, T, D) → outputs (B, T, H), final state NamedTuple.

    The outputs are a transposed view of the kernel's time-major (T, B, H) buffer."""
    B, T, _ = x.shape
    if state is None:
        state = cell.zero_state(B, device=x.device, dtype=x.dtype)
    if reverse:
        x = reverse_padded(x, lengths)
    mask = None if lengths is None else time_mask(lengths, T).t().unsqueeze(-1)  # (T, B, 1)
    W_x, W_h, b = stacked_weights(cell)
    threads = _layer_kernel_threads(cell, x)
    if threads:  # the whole layer (projection included) on torch's threads
        X = x.transpose(0, 1).contiguous()  # (T, B, D); free for a lower fused layer's output
        if isinstance(cell, LSTMCell):
            out, h, c = LSTMTeamKernel.apply(X, W_x, b, W_h, state.h, state.c, mask, threads)
            return _finish(out, lengths, LSTMState(h, c), reverse)
        if isinstance(cell, GRUCell):
            out, h = GRUTeamKernel.apply(X, W_x, b, W_h, cell.b_hn, state.h, mask, cell.reset_after, threads)
        else:
            out, h = RNNTeamKernel.apply(X, W_x, b, W_h, state.h, mask, cell.nonlinearity, threads)
        return _finish(out, lengths, RNNState(h), reverse)
    XW = _project(x, W_x, b)  # (T, B, G·H); bfloat16/float16 under autocast
    W_h = W_h.to(XW.dtype)  # the kernels' out= matmuls bypass autocast: one dtype throughout
    if isinstance(cell, LSTMCell):
        out, h, c = LSTMKernel.apply(XW, W_h, state.h, state.c, mask)
        final = LSTMState(h, c)
    elif isinstance(cell, GRUCell):
        b_hn = None if cell.b_hn is None else cell.b_hn.to(XW.dtype)
        out, h = GRUKernel.apply(XW, W_h, b_hn, state.h, mask, cell.reset_after)
        final = RNNState(h)
    else:
        out, h = RNNKernel.apply(XW, W_h, state.h, mask, cell.nonlinearity)
        final = RNNState(h)
    return _finish(out, lengths, final, reverse)


def _layer_kernel_threads(cell: nn.Module, x: Tensor) -> int:
    """Threads for ``team_kernels``' layer kernel of this cell, or 0 (``threads_for``)."""
    return threads_for(x, len(cell.gates), cell.hidden_size)


def _finish(out: Tensor, lengths: Tensor | None, final, reverse: bool):
    """Time-major outputs (T, B, H) → the batch-first view (B, T, H), in the caller's order."""
    out = out.transpose(0, 1)  # (B, T, H)
    if reverse:
        out = reverse_padded(out, lengths)
    return out, final


class _Cached(NamedTuple):
    """A cell's stacked weights (``stacked_weights``) and, on CPU in float32/64, the NumPy
    arguments of its compiled single step (``fused_numba``), or None."""

    key: tuple
    W_x: Tensor
    W_h: Tensor
    b: Tensor | None
    step_arrays: tuple | None


def _cached_weights(cell: nn.Module, params: tuple[Tensor, ...]) -> _Cached:
    """Stacked weights, cached on the cell while no parameter has changed (inference only).

    A change is a new tensor or a bumped version counter: in-place updates under
    ``torch.no_grad()`` (optimizers, ``load_state_dict``, ``nn.init``) are seen; writes
    through ``.data``, which bump no counter, are not (as for any version-keyed cache)."""
    key = tuple((p.data_ptr(), p._version) for p in params)  # params: cell.parameters()
    cache = cell.__dict__.get("_fused_cache")
    if cache is None or cache.key != key:
        with torch.inference_mode(False), torch.no_grad():  # plain tensors, usable in any mode
            W_x, W_h, b = stacked_weights(cell)
            cache = _Cached(key, W_x, W_h, b, _step_arrays(cell, W_x, W_h, b))
        cell.__dict__["_fused_cache"] = cache
    return cache


def _step_arrays(cell: nn.Module, W_x: Tensor, W_h: Tensor, b: Tensor | None) -> tuple | None:
    """The weights as ``fused_numba.lstm_step`` / ``gru_step`` / ``gru_lecture_step`` take them."""
    if isinstance(cell, RNNCell) or W_x.device.type != "cpu" or W_x.dtype not in (torch.float32, torch.float64):
        return None
    H = cell.hidden_size
    b = (b if b is not None else W_h.new_zeros(W_h.shape[1])).numpy()  # (G·H,)
    if isinstance(cell, LSTMCell):
        return W_x.numpy(), W_h.numpy(), b
    if cell.reset_after:
        b_hn = cell.b_hn.detach() if cell.b_hn is not None else W_h.new_zeros(H)
        return W_x.numpy(), b, W_h.numpy(), b_hn.contiguous().numpy()
    return W_x.numpy(), b, W_h[:, :2 * H].contiguous().numpy(), W_h[:, 2 * H:].contiguous().numpy()


def _step_numba(cell: nn.Module, x: Tensor, state, arrays: tuple):
    """One compiled step (no autograd; CPU tensors of the weights' dtype) → new state."""
    xs, h = nb.np_of(x), nb.np_of(state.h)
    if isinstance(cell, LSTMCell):
        h, c = nb.lstm_step(xs, h, nb.np_of(state.c), *arrays)
        return LSTMState(torch.from_numpy(h), torch.from_numpy(c))  # (B, H) each
    step = nb.gru_step if cell.reset_after else nb.gru_lecture_step
    return RNNState(torch.from_numpy(step(xs, h, *arrays)))  # (B, H)


def _numba_step_ok(x: Tensor, state, dtype: torch.dtype) -> bool:
    """Whether the compiled single step can run: CPU tensors of the weights' dtype, no autograd."""
    ts = (x, *state)
    return (not torch.is_grad_enabled() or not any(t.requires_grad for t in ts)) and all(
        t.device.type == "cpu" and t.dtype == dtype for t in ts)


def step_fused(cell: nn.Module, x: Tensor, state):
    """One step with fused gates: x (B, D), state (B, H) NamedTuple → new state.

    Without autograd, LSTM and GRU steps on CPU (float32/64) are one compiled call each
    (``fused_numba.lstm_step``, ``gru_step``, ``gru_lecture_step``; see BENCHMARKS.md)."""
    params = tuple(cell.parameters())
    if torch.is_grad_enabled() and any(p.requires_grad for p in params):
        W_x, W_h, b = stacked_weights(cell)
    else:
        cache = _cached_weights(cell, params)
        if cache.step_arrays is not None and _numba_step_ok(x, state, cache.W_x.dtype):
            return _step_numba(cell, x, state, cache.step_arrays)
        W_x, W_h, b = cache.W_x, cache.W_h, cache.b
    h = state.h
    if isinstance(cell, GRUCell):
        return cell(x, state)  # the GRU's candidate needs R first: no single fused matmul
    g = x @ W_x if b is None else torch.addmm(b, x, W_x)
    g = torch.addmm(g, h, W_h)  # (B, G·H)
    if isinstance(cell, LSTMCell):
        H = cell.hidden_size
        ifo = torch.sigmoid(g[:, :3 * H])
        c = torch.addcmul(ifo[:, H:2 * H] * state.c, ifo[:, :H], torch.tanh(g[:, 3 * H:]))
        return LSTMState(ifo[:, 2 * H:] * torch.tanh(c), c)
    return RNNState(cell.f(g))
