"""Run an rnnkit LSTM layer through torch's own LSTM kernel (oneDNN on CPU, cuDNN on CUDA).

Used by ``backend="auto"`` for LSTM layers, where torch's kernel is faster than our fused
Python loop on every benchmarked shape (see BENCHMARKS.md). The weights stay rnnkit's: each
call stacks them into torch's layout (gates i, f, g, o; ``W`` transposed to (4H, D)) through
autograd, so gradients land on ``W_xi``, ``W_hi``, ``b_i``, … as usual. Lengths are handled by
packing (torch sorts internally; callers never sort).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.func import functional_call
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit.nn.state import LSTMState

_TORCH_GATES = ("i", "f", "c", "o")


def torch_weights(layer: nn.Module) -> dict[str, Tensor]:
    """``torch.nn.LSTM`` parameter names → tensors built from the layer's cells."""
    params: dict[str, Tensor] = {}
    for l in range(layer.num_layers):
        for d in range(layer.num_directions):
            cell, sfx = layer.cell(l, d), f"_l{l}" + ("_reverse" if d else "")
            params["weight_ih" + sfx] = torch.cat([getattr(cell, f"W_x{g}") for g in _TORCH_GATES], 1).t()
            params["weight_hh" + sfx] = torch.cat([getattr(cell, f"W_h{g}") for g in _TORCH_GATES], 1).t()
            if layer.bias:
                b = torch.cat([getattr(cell, f"b_{g}") for g in _TORCH_GATES])
                params["bias_ih" + sfx], params["bias_hh" + sfx] = b, torch.zeros_like(b)
    return params


def _template(layer: nn.Module) -> nn.LSTM:
    """A parameter-free-in-use ``nn.LSTM`` with the layer's settings (cached on the layer)."""
    t = layer.__dict__.get("_torch_template")
    if t is None:
        with torch.device("meta"):
            t = nn.LSTM(layer.input_size, layer.hidden_size, num_layers=layer.num_layers,
                        bias=layer.bias, batch_first=True, dropout=layer.dropout,
                        bidirectional=layer.bidirectional)
        layer.__dict__["_torch_template"] = t
    t.train(layer.training)
    return t


def lstm_forward_torch(layer: nn.Module, x: Tensor, lengths: Tensor | None, state: LSTMState | None):
    """x (B, T, D) → outputs (B, T, H·dirs) (zeros at pads), LSTMState (L·dirs, B, H)."""
    template = _template(layer)
    hx = None if state is None else (state.h.contiguous(), state.c.contiguous())
    inp = x if lengths is None else pack_padded_sequence(x, lengths.cpu(), batch_first=True,
                                                         enforce_sorted=False)
    out, (h, c) = functional_call(template, torch_weights(layer), (inp, hx), strict=False)
    if lengths is not None:
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, LSTMState(h, c)
