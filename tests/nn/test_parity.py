"""Parity with torch.nn.RNN/LSTM/GRU after copying weights: outputs, states and gradients."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit.nn import GRU, LSTM, RNN, from_torch

KINDS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def _run_torch(m, x, lengths):
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, state = m(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    h = state[0] if isinstance(state, tuple) else state
    c = state[1] if isinstance(state, tuple) else None
    return out, h, c


@pytest.mark.parametrize("kind,layers,bi", list(itertools.product(KINDS, [1, 2, 3], [False, True])))
def test_outputs_states_and_grads_match_torch(kind, layers, bi):
    torch.manual_seed(layers * 10 + bi)
    m = KINDS[kind](4, 6, num_layers=layers, bidirectional=bi, batch_first=True)
    ours = from_torch(m)
    x = torch.randn(5, 7, 4)
    lengths = torch.tensor([7, 3, 5, 1, 6])  # unsorted on purpose
    out_t, h_t, c_t = _run_torch(m, x, lengths)
    out_r, st = ours(x, lengths=lengths)
    torch.testing.assert_close(out_r, out_t, atol=1e-5, rtol=0)
    torch.testing.assert_close(st.h, h_t, atol=1e-5, rtol=0)
    if c_t is not None:
        torch.testing.assert_close(st.c, c_t, atol=1e-5, rtol=0)
    # gradients: same loss on both, compare every weight through the interop mapping
    w = torch.randn_like(out_t)
    ((out_t * w).sum() + h_t.sum()).backward()
    ((out_r * w).sum() + st.h.sum()).backward()
    grads_back = from_torch(_with_grads_as_weights(m))
    for (name, p), (_, g) in zip(ours.named_parameters(), grads_back.named_parameters(), strict=True):
        if name.endswith(("b_i", "b_f", "b_o", "b_c", "b_r", "b_z")) or (kind == "rnn" and name.endswith("b_h")):
            g = g / 2  # from_torch sums b_ih + b_hh; their gradients are equal, ours is one of them
        torch.testing.assert_close(p.grad, g, atol=1e-5, rtol=0, msg=name)


def _with_grads_as_weights(m):
    """A copy of ``m`` whose parameters hold ``m``'s gradients (so interop maps grads too)."""
    clone = type(m)(m.input_size, m.hidden_size, num_layers=m.num_layers,
                    bidirectional=m.bidirectional, batch_first=True)
    with torch.no_grad():
        for (_, p), (_, q) in zip(clone.named_parameters(), m.named_parameters(), strict=True):
            p.copy_(q.grad)
    return clone


@pytest.mark.parametrize("cls", [RNN, LSTM])
def test_to_torch_round_trip(cls):
    layer = cls(3, 4, num_layers=2, bidirectional=True)
    back = from_torch(layer.to_torch())
    x = torch.randn(2, 5, 3)
    torch.testing.assert_close(layer(x)[0], back(x)[0])


def test_gru_to_torch_round_trip_and_lecture_variant_refuses():
    layer = GRU(3, 4, reset_after=True)
    x = torch.randn(2, 5, 3)
    torch.testing.assert_close(layer(x)[0], layer.to_torch()(x)[0], atol=1e-6, rtol=0)
    from rnnkit.errors import ConfigError
    with pytest.raises(ConfigError, match="reset_after"):
        GRU(3, 4).to_torch()


def test_from_torch_without_bias_and_relu():
    m = torch.nn.RNN(3, 4, nonlinearity="relu", bias=False, batch_first=True)
    x = torch.randn(2, 5, 3)
    torch.testing.assert_close(from_torch(m)(x)[0], m(x)[0], atol=1e-6, rtol=0)
