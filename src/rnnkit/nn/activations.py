"""The lecture's activation functions, looked up by name.

    sigmoid(x)    = 1 / (1 + e^{-x})
    tanh(x)
    relu(x)       = max(0, x)
    leaky_relu(x) = max(0.1·x, x)          (slope 0.1, as in the lecture)
    elu(x)        = x if x ≥ 0 else α(e^x − 1),  α = 1
    maxout(x)     = max(w_1ᵀx + b_1, …, w_kᵀx + b_k)   (has weights: see ``Maxout``)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError

LEAKY_SLOPE = 0.1


def sigmoid(x: Tensor) -> Tensor:
    return torch.sigmoid(x)


def tanh(x: Tensor) -> Tensor:
    return torch.tanh(x)


def relu(x: Tensor) -> Tensor:
    return torch.relu(x)


def leaky_relu(x: Tensor) -> Tensor:
    return torch.nn.functional.leaky_relu(x, LEAKY_SLOPE)


def elu(x: Tensor) -> Tensor:
    return torch.nn.functional.elu(x, alpha=1.0)


def identity(x: Tensor) -> Tensor:
    return x


ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "identity": identity,
}


def activation(name: str | None) -> Callable[[Tensor], Tensor]:
    """The element-wise activation called ``name`` (``None`` → identity).

    ``maxout`` is not element-wise (it owns weights); use :class:`Maxout` for it.
    """
    if name is None:
        return identity
    try:
        return ACTIVATIONS[name]
    except KeyError:
        hint = " (maxout owns weights: use rnnkit.nn.Maxout or MLP(activation='maxout'))" \
            if name == "maxout" else ""
        raise ConfigError(
            f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}{hint}") from None


class Maxout(nn.Module):
    """Maxout unit: ``O = max_j (X W_j + b_j)`` over ``k`` linear pieces.

    Shapes: X (..., D) → O (..., H). Weights ``W`` (k, D, H), ``b`` (k, H).
    """

    def __init__(self, in_features: int, out_features: int, k: int = 2) -> None:
        super().__init__()
        if k < 1:
            raise ConfigError(f"maxout needs k ≥ 1 pieces, got {k}")
        bound = in_features ** -0.5
        self.W = nn.Parameter(torch.empty(k, in_features, out_features).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.empty(k, out_features).uniform_(-bound, bound))

    def forward(self, x: Tensor) -> Tensor:
        pieces = torch.einsum("...d,kdh->...kh", x, self.W) + self.b  # (..., k, H)
        return pieces.amax(dim=-2)  # (..., H)
