"""Gradient norms per step: equal to autograd on the hidden states; RNN vanishes faster than LSTM."""

from __future__ import annotations

import torch

from rnnkit.nn import LSTM, RNN, gradient_norms_per_step, plot_gradient_norms


def test_norms_match_manual_autograd_on_last_step():
    layer = RNN(2, 3)
    x = torch.randn(4, 6, 2)
    norms = gradient_norms_per_step(layer, x, lambda out: out[0][:, -1].sum())
    assert norms.shape == (1, 6)
    # ∂E/∂H_T of E = Σ H_T is all ones: norm = sqrt(B·H)
    assert abs(float(norms[0, -1]) - (4 * 3) ** 0.5) < 1e-5
    assert all(p.grad is None for p in layer.parameters())


def test_rnn_gradients_vanish_faster_than_lstm(tmp_path):
    torch.manual_seed(0)
    x = torch.randn(8, 60, 4)
    rnn = RNN(4, 16, num_layers=2)
    lstm = LSTM(4, 16, num_layers=2)
    with torch.no_grad():  # a forget-gate bias of 3 keeps the cell state (common practice)
        for l in range(2):
            lstm.cell(l).b_f.fill_(3.0)
    loss = lambda out: out[0][:, -1].pow(2).sum()  # noqa: E731
    n_rnn = gradient_norms_per_step(rnn, x, loss)
    n_lstm = gradient_norms_per_step(lstm, x, loss)
    assert n_rnn.shape == (2, 60)
    ratio_rnn = n_rnn[0, 0] / n_rnn[0, -1]
    ratio_lstm = n_lstm[0, 0] / n_lstm[0, -1]
    assert ratio_rnn < ratio_lstm
    path = plot_gradient_norms({"RNN": n_rnn, "LSTM": n_lstm}, tmp_path / "g.png")
    assert path.stat().st_size > 1000
