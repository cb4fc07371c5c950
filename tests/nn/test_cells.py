"""Cells against a literal transcription of the lecture's equations."""

from __future__ import annotations

import torch

from rnnkit.nn import GRUCell, LSTMCell, LSTMState, RNNCell, RNNState


def sigma(z):
    return 1 / (1 + torch.exp(-z))


def test_rnn_cell_is_the_lecture_equation():
    cell = RNNCell(3, 4, nonlinearity="relu")
    X, H = torch.randn(2, 3), torch.randn(2, 4)
    expected = torch.clamp(X @ cell.W_xh + H @ cell.W_hh + cell.b_h, min=0)
    torch.testing.assert_close(cell(X, RNNState(H)).h, expected)


def test_lstm_cell_is_the_lecture_equation():
    c = LSTMCell(3, 4)
    X, H, C = torch.randn(2, 3), torch.randn(2, 4), torch.randn(2, 4)
    I = sigma(X @ c.W_xi + H @ c.W_hi + c.b_i)
    F = sigma(X @ c.W_xf + H @ c.W_hf + c.b_f)
    O = sigma(X @ c.W_xo + H @ c.W_ho + c.b_o)
    C_tilde = torch.tanh(X @ c.W_xc + H @ c.W_hc + c.b_c)
    C_new = F * C + I * C_tilde
    out = c(X, LSTMState(H, C))
    torch.testing.assert_close(out.c, C_new)
    torch.testing.assert_close(out.h, O * torch.tanh(C_new))


def test_gru_cell_is_the_lecture_equation():
    g = GRUCell(3, 4)
    X, H = torch.randn(2, 3), torch.randn(2, 4)
    R = sigma(X @ g.W_xr + H @ g.W_hr + g.b_r)
    Z = sigma(X @ g.W_xz + H @ g.W_hz + g.b_z)
    H_tilde = torch.tanh(X @ g.W_xh + (R * H) @ g.W_hh + g.b_h)
    torch.testing.assert_close(g(X, RNNState(H)).h, Z * H + (1 - Z) * H_tilde)


def test_gru_reset_after_differs_from_lecture_variant():
    torch.manual_seed(0)
    a = GRUCell(3, 4)
    b = GRUCell(3, 4, reset_after=True)
    b.load_state_dict({**a.state_dict(), "b_hn": torch.zeros(4)})
    X, H = torch.randn(2, 3), torch.randn(2, 4)
    assert not torch.allclose(a(X, RNNState(H)).h, b(X, RNNState(H)).h)


def test_weights_use_x_at_w_orientation():
    c = LSTMCell(3, 5)
    assert c.W_xi.shape == (3, 5) and c.W_hi.shape == (5, 5) and c.b_i.shape == (5,)
