"""Run an rnnkit layer through torch's own recurrent kernels (oneDNN on CPU, cuDNN on CUDA).

``backend="auto"`` uses this where the configuration is one torch computes identically
(LSTM; GRU with ``reset_after=True``; RNN with tanh or relu) and torch's kernel is the faster
one on this CPU (see BENCHMARKS.md): LSTM always, GRU and RNN for inference only. The
weights stay rnnkit's: each call stacks them into torch's layout (LSTM gates i, f, g, o;
GRU r, z, n; ``W`` transposed to (G·H, D)) through autograd, so gradients land on
``W_xi``, ``W_hi``, ``b_i``, … as usual. Lengths are handled by packing (torch sorts
internally; callers never sort).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.func import functional_call
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

_TORCH_GATES = {"LSTM": ("i", "f", "c", "o"), "GRU": ("r", "z", "h"), "RNN": ("h",)}


def torch_compatible(layer: nn.Module) -> bool:
    """Whether torch.nn computes exactly this layer."""
    kind = type(layer).__name__
    if kind == "GRU":
        return layer.reset_after
    if kind == "RNN":
        return layer.nonlinearity in ("tanh", "relu")
    return kind == "LSTM"


def torch_weights(layer: nn.Module) -> dict[str, Tensor]:
    """torch parameter names → tensors built from the layer's cells."""
    kind, params = type(layer).__name__, {}
    gates = _TORCH_GATES[kind]
    for l in range(layer.num_layers):
        for d in range(layer.num_directions):
            cell, sfx = layer.cell(l, d), f"_l{l}" + ("_reverse" if d else "")
            # one copy straight into torch's contiguous (G·H, D) layout (a transposed view would
            # make oneDNN reorder it again on every call)
            params["weight_ih" + sfx] = torch.cat([getattr(cell, f"W_x{g}").t() for g in gates], 0)
            params["weight_hh" + sfx] = torch.cat([getattr(cell, f"W_h{g}").t() for g in gates], 0)
            if layer.bias:
                b = torch.cat([getattr(cell, f"b_{g}") for g in gates])  # (G·H,)
                b_hh = torch.zeros_like(b)
                if kind == "GRU":
                    b_hh = torch.cat([b_hh[:2 * layer.hidden_size], cell.b_hn])
                params["bias_ih" + sfx], params["bias_hh" + sfx] = b, b_hh
    return params


def _template(layer: nn.Module) -> nn.RNNBase:
    """An ``nn.LSTM/GRU/RNN`` on the meta device with the layer's settings (cached)."""
    t = layer.__dict__.get("_torch_template")
    if t is None:
        kind = type(layer).__name__
        kw = dict(num_layers=layer.num_layers, bias=layer.bias, batch_first=True,
                  dropout=layer.dropout, bidirectional=layer.bidirectional)
        if kind == "RNN":
            kw["nonlinearity"] = layer.nonlinearity
        with torch.device("meta"):
            t = getattr(nn, kind)(layer.input_size, layer.hidden_size, **kw)
        layer.__dict__["_torch_template"] = t
    t.train(layer.training)
    return t


def forward_torch(layer: nn.Module, x: Tensor, lengths: Tensor | None, state):
    """x (B, T, D) → outputs (B, T, H·dirs) (zeros at pads), state NamedTuple (L·dirs, B, H)."""
    template = _template(layer)
    if state is None:
        hx = None
    else:
        hx = tuple(t.contiguous() for t in state)
        hx = hx if len(hx) == 2 else hx[0]
    inp = x if lengths is None else pack_padded_sequence(x, lengths.cpu(), batch_first=True,
                                                         enforce_sorted=False)
    out, final = functional_call(template, torch_weights(layer), (inp, hx), strict=False)
    if lengths is not None:
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    final = final if isinstance(final, tuple) else (final,)
    return out, layer.state_type(*final)
