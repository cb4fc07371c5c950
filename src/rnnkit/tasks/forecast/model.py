"""Window networks: (B, K, D) window → (B, M, P) outputs (M horizon steps, P head parameters).

Shapes: B batch, K lags (time), D = 1 + covariates, H hidden, M = 1 (recursive) or h (direct,
mimo), P = 2 (gaussian μ, log σ) or 5 (quantiles).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.nn import GRU, LSTM, MLP, RNN, Readout

QUANTILES = (0.025, 0.1, 0.5, 0.9, 0.975)
LAYERS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


class WindowMLP(nn.Module):
    """ar-linear / ar-mlp: O = f(vec(X) W + b), vec(X) ∈ R^{K·D}; hidden = 0 gives the linear AR."""

    def __init__(self, lags: int, dim: int, outputs: int, hidden: int, depth: int) -> None:
        super().__init__()
        sizes = [lags * dim] + [hidden] * depth + [outputs]
        self.net = MLP(sizes, activation="tanh") if depth else nn.Linear(lags * dim, outputs)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x.flatten(1))  # (B, K·D) → (B, M·P)


class WindowRNN(nn.Module):
    """H_t = cell(X_t, H_{t−1}) over the K lags (deep optional); O = H_K W_ho + b_o."""

    def __init__(self, kind: str, dim: int, outputs: int, hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.rnn = LAYERS[kind](dim, hidden, num_layers=layers, dropout=dropout if layers > 1 else 0.0)
        self.readout = Readout(hidden, outputs)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.rnn(x)  # (B, K, H)
        return self.readout(out[:, -1])  # (B, M·P)


class ForecastNet(nn.Module):
    """Strategy wrapper. direct: M independent nets with one output step each; else one net.

    ``log_scale_shift`` (a buffer, 0 while training) is added to log σ of the Gaussian head:
    the calibration fitted on validation windows after training.
    """

    def __init__(self, make, steps: int, params: int, direct: bool) -> None:
        super().__init__()
        self.steps, self.params, self.direct = steps, params, direct
        self.nets = nn.ModuleList([make(params) for _ in range(steps)] if direct else [make(steps * params)])
        self.register_buffer("log_scale_shift", torch.zeros(()))

    def forward(self, x: Tensor) -> Tensor:
        outs = [net(x) for net in self.nets]  # each (B, ·)
        out = torch.cat(outs, dim=1).view(x.shape[0], self.steps, self.params)  # (B, M, P)
        if self.params != 2:
            return out
        return torch.stack([out[..., 0], out[..., 1] + self.log_scale_shift], -1)  # (B, M, 2)


def build_net(model: str, *, lags: int, dim: int, steps: int, params: int, direct: bool, hidden: int,
              layers: int, dropout: float) -> ForecastNet:
    if model in LAYERS:
        def make(o):
            return WindowRNN(model, dim, o, hidden, layers, dropout)
    else:
        depth = layers if model == "ar-mlp" else 0

        def make(o):
            return WindowMLP(lags, dim, o, hidden, depth)
    return ForecastNet(make, steps, params, direct)


def gaussian_nll(out: Tensor, y: Tensor) -> Tensor:
    """−log N(y; μ, σ²) up to a constant, σ = softplus-free exp(log σ) clamped; out (B,M,2), y (B,M)."""
    mu, log_s = out[..., 0], out[..., 1].clamp(-7, 7)
    return (0.5 * ((y - mu) * torch.exp(-log_s)) ** 2 + log_s).mean()


def pinball(out: Tensor, y: Tensor) -> Tensor:
    """Σ_q max(q e, (q−1) e), e = y − ŷ_q; out (B, M, 5), y (B, M)."""
    q = torch.tensor(QUANTILES, dtype=out.dtype, device=out.device)
    e = y.unsqueeze(-1) - out  # (B, M, 5)
    return torch.maximum(q * e, (q - 1) * e).mean()
