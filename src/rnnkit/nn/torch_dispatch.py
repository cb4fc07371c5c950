"""Run an rnnkit layer through torch's own recurrent kernels (oneDNN on CPU, cuDNN on CUDA).

``backend="auto"`` uses this where the configuration is one torch computes identically
(LSTM; GRU with ``reset_after=True``; RNN with tanh or relu) and torch's kernel is the faster
one on this CPU (see BENCHMARKS.md): LSTM always, GRU and RNN for inference only. The
weights stay rnnkit's: each call stacks them into torch's layout (LSTM gates i, f, g, o;
GRU r, z, n; ``W`` transposed to (G·H, D)) through autograd, so gradients land on
``W_xi``, ``W_hi``, ``b_i``, … as usual. Lengths are handled by packing (torch sorts
internally; callers never sort). The ATen op (``torch._VF.lstm`` …) is called directly, as
``nn.LSTM.forward`` calls it: wrapping the weights in a module for each call
(``torch.func.functional_call``) cost ~80 µs more per call.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

_TORCH_GATES = {"LSTM": ("i", "f", "c", "o"), "GRU": ("r", "z", "h"), "RNN": ("h",)}


def torch_compatible(layer: nn.Module) -> bool:
    """Whether torch.nn computes exactly this layer."""
    kind = type(layer).__name__
    if kind == "GRU":
        return layer.reset_after
    if kind == "RNN":
        return layer.nonlinearity in ("tanh", "relu")
    return kind == "LSTM"


def flat_weights(layer: nn.Module) -> list[Tensor]:
    """torch's flat weight list: per layer and direction ``w_ih, w_hh[, b_ih, b_hh]``, built
    from the layer's cells (``W`` transposed to torch's (G·H, D))."""
    kind, flat = type(layer).__name__, []
    gates = _TORCH_GATES[kind]
    for l in range(layer.num_layers):
        for d in range(layer.num_directions):
            cell = layer.cell(l, d)
            # one copy straight into torch's contiguous (G·H, D) layout (a transposed view would
            # make oneDNN reorder it again on every call)
            flat.append(torch.cat([getattr(cell, f"W_x{g}").t() for g in gates], 0))
            flat.append(torch.cat([getattr(cell, f"W_h{g}").t() for g in gates], 0))
            if layer.bias:
                b = torch.cat([getattr(cell, f"b_{g}") for g in gates])  # (G·H,)
                b_hh = torch.zeros_like(b)
                if kind == "GRU":
                    b_hh = torch.cat([b_hh[:2 * layer.hidden_size], cell.b_hn])
                flat += [b, b_hh]
    return flat


def _op(layer: nn.Module):
    """The ATen recurrent op that ``nn.LSTM/GRU/RNN.forward`` calls for this layer."""
    kind = type(layer).__name__
    if kind == "RNN":
        return torch._VF.rnn_tanh if layer.nonlinearity == "tanh" else torch._VF.rnn_relu
    return torch._VF.lstm if kind == "LSTM" else torch._VF.gru


def forward_torch(layer: nn.Module, x: Tensor, lengths: Tensor | None, state):
    """x (B, T, D) → outputs (B, T, H·dirs) (zeros at pads), state NamedTuple (L·dirs, B, H).

    Calls the ATen op that ``nn.LSTM/GRU/RNN.forward`` calls, with the same arguments, without
    building a module around the weights on every call."""
    lstm, zero_start = type(layer).__name__ == "LSTM", state is None
    if zero_start:
        h0 = x.new_zeros(layer.num_layers * layer.num_directions, x.shape[0], layer.hidden_size)
        state = layer.state_type(*([h0] * len(layer.state_type._fields)))
    args = (flat_weights(layer), layer.bias, layer.num_layers, float(layer.dropout), layer.training,
            layer.bidirectional)
    if lengths is None:
        hx = tuple(t.contiguous() for t in state)
        out, *final = _op(layer)(x, hx if lstm else hx[0], *args, True)
        return out, layer.state_type(*final)
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    hx = tuple(t if zero_start else t.index_select(1, packed.sorted_indices) for t in state)  # torch sorts by length
    out, *final = _op(layer)(packed.data, packed.batch_sizes, hx if lstm else hx[0], *args)
    out, _ = pad_packed_sequence(PackedSequence(out, packed.batch_sizes, packed.sorted_indices,
                                                packed.unsorted_indices), batch_first=True, total_length=x.shape[1])
    return out, layer.state_type(*(h.index_select(1, packed.unsorted_indices) for h in final))
