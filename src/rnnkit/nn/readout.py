"""Output layer of a recurrent network."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.nn.activations import activation


class Readout(nn.Module):
    """Output layer ``O_t = f_o(H_t W_ho + b_o)`` applied at every step.

    Shapes: H (..., H) → O (..., O); ``W_ho ∈ R^{H×O}``, ``b_o ∈ R^{O}``. ``f_o`` by name
    (``None`` = identity: logits for a softmax loss, or a regression output).
    """

    def __init__(self, hidden_size: int, output_size: int, activation_name: str | None = None) -> None:
        super().__init__()
        bound = hidden_size ** -0.5
        self.W_ho = nn.Parameter(torch.empty(hidden_size, output_size).uniform_(-bound, bound))
        self.b_o = nn.Parameter(torch.empty(output_size).uniform_(-bound, bound))
        self.activation_name = activation_name
        self.f_o = activation(activation_name)

    def forward(self, h: Tensor) -> Tensor:
        return self.f_o(h @ self.W_ho + self.b_o)  # (..., O)
