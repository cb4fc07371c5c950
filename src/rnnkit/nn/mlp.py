"""Dense network (multilayer perceptron) in the lecture's matrix form."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError
from rnnkit.nn.activations import Maxout, activation


class Dense(nn.Module):
    """One dense layer ``H = f(X W + b)`` with ``W ∈ R^{D×H}`` (X @ W orientation).

    Shapes: X (..., D) → H (..., H). ``f`` by name; ``maxout`` uses ``k`` linear pieces.
    """

    def __init__(self, in_features: int, out_features: int, activation_name: str | None = None,
                 *, maxout_pieces: int = 2) -> None:
        super().__init__()
        self.activation_name = activation_name
        if activation_name == "maxout":
            self.maxout = Maxout(in_features, out_features, maxout_pieces)
            return
        bound = in_features ** -0.5
        self.W = nn.Parameter(torch.empty(in_features, out_features).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.empty(out_features).uniform_(-bound, bound))
        self.f = activation(activation_name)

    def forward(self, x: Tensor) -> Tensor:
        if self.activation_name == "maxout":
            return self.maxout(x)  # (..., H)
        return self.f(x @ self.W + self.b)  # (..., H)


class MLP(nn.Module):
    """Dense network: ``H¹ = f(X W¹ + b¹)``, ``H² = f(H¹ W² + b²)``, …, ``O = f_o(H W + b)``.

    ``sizes = (D, h_1, …, q)`` gives the widths; hidden layers use ``activation``, the last
    layer ``out_activation`` (``None`` = identity, for regression). Shapes: X (..., D) → O (..., q).
    """

    def __init__(self, sizes: Sequence[int], activation: str = "relu",
                 out_activation: str | None = None, *, dropout: float = 0.0,
                 maxout_pieces: int = 2) -> None:
        super().__init__()
        if len(sizes) < 2 or any(s < 1 for s in sizes):
            raise ConfigError(f"MLP sizes need ≥ 2 positive widths, got {list(sizes)}")
        n = len(sizes) - 1
        self.layers = nn.ModuleList(
            Dense(sizes[i], sizes[i + 1], activation if i < n - 1 else out_activation,
                  maxout_pieces=maxout_pieces)
            for i in range(n))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)  # (..., h_i)
            if i < len(self.layers) - 1:
                x = self.dropout(x)
        return x
