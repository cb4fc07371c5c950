"""A padded batch with lengths equals running each sequence alone; input validation."""

from __future__ import annotations

import pytest
import torch

from rnnkit.errors import ConfigError, ShapeError
from rnnkit.nn import GRU, LSTM, RNN, reverse_padded


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
@pytest.mark.parametrize("bi", [False, True])
def test_padded_batch_equals_one_at_a_time(cls, bi):
    layer = cls(3, 4, num_layers=2, bidirectional=bi).double()
    lengths = torch.tensor([2, 6, 4])
    x = torch.randn(3, 6, 3, dtype=torch.float64)
    x[0, 2:] = 99.0  # garbage in the padding must not leak
    out, st = layer(x, lengths=lengths)
    for b, n in enumerate(lengths.tolist()):
        o1, s1 = layer(x[b:b + 1, :n])
        torch.testing.assert_close(out[b, :n], o1[0])
        assert torch.all(out[b, n:] == 0)
        for got, want in zip(st, s1, strict=True):
            torch.testing.assert_close(got[:, b], want[:, 0])


def test_initial_state_is_used_and_returned_shape():
    layer = LSTM(2, 3, num_layers=2)
    x = torch.randn(4, 5, 2)
    s0 = layer.zero_state(4)
    s0 = type(s0)(s0.h + 0.5, s0.c - 0.5)
    out_a, _ = layer(x, state=s0)
    out_b, st = layer(x)
    assert not torch.allclose(out_a, out_b)
    assert st.h.shape == (2, 4, 3) and st.c.shape == (2, 4, 3)


def test_step_equals_forward():
    layer = GRU(3, 4, num_layers=2).eval()
    x = torch.randn(2, 5, 3)
    out, st = layer(x)
    s = None
    for t in range(5):
        h, s = layer.step(x[:, t], s)
        torch.testing.assert_close(h, out[:, t])
    torch.testing.assert_close(s.h, st.h)


def test_reverse_padded():
    x = torch.arange(8.0).view(2, 4, 1)
    r = reverse_padded(x, torch.tensor([3, 4]))
    assert r[:, :, 0].tolist() == [[2, 1, 0, 3], [7, 6, 5, 4]]


@pytest.mark.parametrize("x_shape,lengths,msg", [
    ((2, 5), None, "batch-first"),
    ((2, 5, 4), None, "features"),
    ((2, 5, 3), [5, 6], "lengths must lie"),
    ((2, 5, 3), [5], "lengths must have shape"),
    ((2, 5, 3), [0, 5], "lengths must lie"),
])
def test_bad_input_raises_shape_error(x_shape, lengths, msg):
    layer = RNN(3, 4)
    with pytest.raises(ShapeError, match=msg):
        layer(torch.randn(*x_shape), lengths=None if lengths is None else torch.tensor(lengths))


@pytest.mark.parametrize("cls", [RNN, LSTM])
def test_input_dtype_must_match_the_weights_outside_autocast(cls):
    layer, x = cls(3, 4), torch.randn(2, 5, 3)
    with pytest.raises(ShapeError, match="floating-point tensor, got torch.int64"):
        layer(x.long())
    with pytest.raises(ShapeError, match="x is torch.float64 but the layer's weights are torch.float32"):
        layer(x.double())
    assert layer.double()(x.double())[0].dtype == torch.float64
    with torch.autocast("cpu", torch.bfloat16):  # autocast casts inside: any float input is fine
        assert layer.float()(x.bfloat16())[0].shape == (2, 5, 4)


def test_bad_config():
    with pytest.raises(ConfigError):
        LSTM(3, 4, dropout=1.5)
    with pytest.raises(ConfigError):
        RNN(3, 4, nonlinearity="swish")
    with pytest.raises(ConfigError):
        LSTM(3, 4, bidirectional=True).step(torch.randn(1, 3))
