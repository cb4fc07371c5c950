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

import torch
from torch import Tensor, nn

from rnnkit.nn.cells import GRUCell, LSTMCell, RNNCell
from rnnkit.nn.fused_kernels import GRUKernel, LSTMKernel, RNNKernel
from rnnkit.nn.masking import reverse_padded, time_mask
from rnnkit.nn.state import LSTMState, RNNState

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
    out = out.transpose(0, 1)  # (B, T, H)
    if reverse:
        out = reverse_padded(out, lengths)
    return out, final


def _cached_weights(cell: nn.Module) -> tuple[Tensor, Tensor, Tensor | None]:
    """Stacked weights, cached on the cell while no parameter has changed (inference only)."""
    key = tuple((p.data_ptr(), p._version) for p in cell.parameters())
    cache = cell.__dict__.get("_fused_cache")
    if cache is None or cache[0] != key:
        with torch.no_grad():
            cache = (key, *stacked_weights(cell))
        cell.__dict__["_fused_cache"] = cache
    return cache[1], cache[2], cache[3]


def step_fused(cell: nn.Module, x: Tensor, state):
    """One step with fused gates: x (B, D), state (B, H) NamedTuple → new state."""
    if torch.is_grad_enabled() and any(p.requires_grad for p in cell.parameters()):
        W_x, W_h, b = stacked_weights(cell)
    else:
        W_x, W_h, b = _cached_weights(cell)
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
