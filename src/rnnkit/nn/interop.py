"""Conversion between ``torch.nn.RNN/LSTM/GRU`` and rnnkit layers, weight for weight.

torch stores ``weight_ih_l{k}`` (gates·H, D) for ``x Wᵀ`` with gates stacked in the order
LSTM (i, f, g, o), GRU (r, z, n); rnnkit stores one ``X @ W`` matrix (D, H) per gate, so
each block is transposed. torch's two biases (``b_ih + b_hh``) are summed, except for the
GRU's candidate, whose ``b_hn`` sits inside the reset product (rnnkit ``reset_after=True``).
"""

from __future__ import annotations

import torch
from torch import nn

from rnnkit.errors import ConfigError
from rnnkit.nn.layers import GRU, LSTM, RNN, RecurrentLayer

# rnnkit gate letter in torch's stacking order
_TORCH_ORDER = {"LSTM": ("i", "f", "c", "o"), "GRU": ("r", "z", "h"), "RNN": ("h",)}


def _kind(layer: nn.Module) -> str:
    for k, cls in (("LSTM", LSTM), ("GRU", GRU), ("RNN", RNN)):
        if isinstance(layer, cls):
            return k
    raise ConfigError(f"not an rnnkit recurrent layer: {type(layer).__name__}")


def from_torch(module: nn.Module) -> RecurrentLayer:
    """An rnnkit layer equal to ``module`` (torch.nn.RNN, LSTM or GRU; any settings)."""
    kind = type(module).__name__
    if kind not in _TORCH_ORDER or not isinstance(module, nn.RNNBase):
        raise ConfigError(f"from_torch takes torch.nn.RNN, LSTM or GRU, got {type(module).__name__}")
    if getattr(module, "proj_size", 0):
        raise ConfigError("LSTM with proj_size is not supported")
    common = dict(num_layers=module.num_layers, bidirectional=module.bidirectional,
                  dropout=float(module.dropout), bias=module.bias)
    if kind == "LSTM":
        layer = LSTM(module.input_size, module.hidden_size, **common)
    elif kind == "GRU":
        layer = GRU(module.input_size, module.hidden_size, reset_after=True, **common)
    else:
        layer = RNN(module.input_size, module.hidden_size, nonlinearity=module.nonlinearity, **common)
    _copy(module, layer, kind, to_rnnkit=True)
    return layer.to(next(module.parameters()).device, next(module.parameters()).dtype)


def to_torch(layer: RecurrentLayer) -> nn.Module:
    """The ``torch.nn`` layer (batch_first=True) equal to ``layer``."""
    kind = _kind(layer)
    common = dict(num_layers=layer.num_layers, bidirectional=layer.bidirectional,
                  dropout=layer.dropout, bias=layer.bias, batch_first=True)
    if kind == "GRU":
        if not layer.reset_after:
            raise ConfigError("torch.nn.GRU applies the reset gate after the matmul; "
                              "only GRU(reset_after=True) converts exactly")
        module = nn.GRU(layer.input_size, layer.hidden_size, **common)
    elif kind == "LSTM":
        module = nn.LSTM(layer.input_size, layer.hidden_size, **common)
    else:
        if layer.nonlinearity not in ("tanh", "relu"):
            raise ConfigError(f"torch.nn.RNN has no {layer.nonlinearity!r} nonlinearity")
        module = nn.RNN(layer.input_size, layer.hidden_size, nonlinearity=layer.nonlinearity, **common)
    p = next(layer.parameters())
    module = module.to(p.device, p.dtype)
    _copy(module, layer, kind, to_rnnkit=False)
    return module


@torch.no_grad()
def _copy(module: nn.Module, layer: RecurrentLayer, kind: str, *, to_rnnkit: bool) -> None:
    H, order = layer.hidden_size, _TORCH_ORDER[kind]
    for l in range(layer.num_layers):
        for d in range(layer.num_directions):
            sfx = f"_l{l}" + ("_reverse" if d else "")
            cell = layer.cell(l, d)
            w_ih, w_hh = getattr(module, "weight_ih" + sfx), getattr(module, "weight_hh" + sfx)
            b_ih = getattr(module, "bias_ih" + sfx, None)
            b_hh = getattr(module, "bias_hh" + sfx, None)
            for k, g in enumerate(order):
                rows = slice(k * H, (k + 1) * H)
                _pair(getattr(cell, f"W_x{g}"), w_ih[rows], to_rnnkit)
                _pair(getattr(cell, f"W_h{g}"), w_hh[rows], to_rnnkit)
                if b_ih is None:
                    continue
                b = getattr(cell, f"b_{g}")
                if kind == "GRU" and g == "h":
                    _bias(b, b_ih[rows], None, to_rnnkit)
                    _bias(cell.b_hn, b_hh[rows], None, to_rnnkit)
                else:
                    _bias(b, b_ih[rows], b_hh[rows], to_rnnkit)


def _pair(ours: torch.Tensor, theirs: torch.Tensor, to_rnnkit: bool) -> None:
    if to_rnnkit:
        ours.copy_(theirs.t())
    else:
        theirs.copy_(ours.t())


def _bias(ours: torch.Tensor, b_ih: torch.Tensor, b_hh: torch.Tensor | None, to_rnnkit: bool) -> None:
    if to_rnnkit:
        ours.copy_(b_ih if b_hh is None else b_ih + b_hh)
    else:
        b_ih.copy_(ours)
        if b_hh is not None:
            b_hh.zero_()
