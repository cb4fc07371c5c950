"""RNN, LSTM and GRU cells: one time step each, exactly the lecture's equations and names.

Shape legend: B batch, D input size, H hidden size. Weights use the lecture's ``X @ W``
orientation: ``W_x· ∈ R^{D×H}``, ``W_h· ∈ R^{H×H}``, ``b_· ∈ R^{H}``. Initialisation follows
torch: uniform in ±1/√H. A cell's ``forward(x_t, state) -> state`` is a pure step.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.nn.activations import activation
from rnnkit.nn.state import LSTMState, RNNState


def _param(*shape: int, hidden: int) -> nn.Parameter:
    bound = hidden ** -0.5
    return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))


class _Cell(nn.Module):
    """Shared bookkeeping: sizes, gate names, zero state."""

    gates: tuple[str, ...] = ()
    state_type: type = RNNState

    def __init__(self, input_size: int, hidden_size: int, bias: bool) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        for g in self.gates:
            setattr(self, f"W_x{g}", _param(input_size, hidden_size, hidden=hidden_size))
            setattr(self, f"W_h{g}", _param(hidden_size, hidden_size, hidden=hidden_size))
            if bias:
                setattr(self, f"b_{g}", _param(hidden_size, hidden=hidden_size))
            else:
                self.register_parameter(f"b_{g}", None)

    def zero_state(self, batch: int, *, device=None, dtype=None) -> RNNState | LSTMState:
        z = torch.zeros(batch, self.hidden_size, device=device, dtype=dtype)  # (B, H)
        return self.state_type(*([z] * len(self.state_type._fields)))

    def _affine(self, g: str, x: Tensor, h: Tensor) -> Tensor:
        """``X W_xg + H W_hg + b_g`` for gate ``g``: (B, H)."""
        out = x @ getattr(self, f"W_x{g}") + h @ getattr(self, f"W_h{g}")  # (B, H)
        b = getattr(self, f"b_{g}")
        return out if b is None else out + b

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}"


class RNNCell(_Cell):
    """Simple recurrent cell.

        H_t = f(X_t W_xh + H_{t-1} W_hh + b_h)

    Shapes: X_t (B, D), H_{t-1} (B, H) → H_t (B, H). ``f`` by name (default tanh).
    """

    gates = ("h",)
    state_type = RNNState

    def __init__(self, input_size: int, hidden_size: int, *, bias: bool = True,
                 nonlinearity: str = "tanh") -> None:
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity
        self.f = activation(nonlinearity)

    def forward(self, x: Tensor, state: RNNState) -> RNNState:
        return RNNState(self.f(self._affine("h", x, state.h)))  # (B, H)


class LSTMCell(_Cell):
    """Long short-term memory cell.

        I_t = σ(X_t W_xi + H_{t-1} W_hi + b_i)
        F_t = σ(X_t W_xf + H_{t-1} W_hf + b_f)
        O_t = σ(X_t W_xo + H_{t-1} W_ho + b_o)
        C̃_t = tanh(X_t W_xc + H_{t-1} W_hc + b_c)
        C_t = F_t ⊙ C_{t-1} + I_t ⊙ C̃_t
        H_t = O_t ⊙ tanh(C_t)

    Shapes: X_t (B, D), H_{t-1}, C_{t-1} (B, H) → H_t, C_t (B, H).
    Note: torch keeps two biases per gate (b_ih + b_hh); they only ever appear summed, so
    one bias per gate is exact (``from_torch`` adds them).
    """

    gates = ("i", "f", "o", "c")
    state_type = LSTMState

    def __init__(self, input_size: int, hidden_size: int, *, bias: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias)

    def forward(self, x: Tensor, state: LSTMState) -> LSTMState:
        I = torch.sigmoid(self._affine("i", x, state.h))  # (B, H)
        F = torch.sigmoid(self._affine("f", x, state.h))  # (B, H)
        O = torch.sigmoid(self._affine("o", x, state.h))  # (B, H)
        C_tilde = torch.tanh(self._affine("c", x, state.h))  # (B, H)
        C = F * state.c + I * C_tilde  # (B, H)
        return LSTMState(O * torch.tanh(C), C)


class GRUCell(_Cell):
    """Gated recurrent unit.

        R_t = σ(X_t W_xr + H_{t-1} W_hr + b_r)
        Z_t = σ(X_t W_xz + H_{t-1} W_hz + b_z)
        H̃_t = tanh(X_t W_xh + (R_t ⊙ H_{t-1}) W_hh + b_h)          (lecture, default)
        H̃_t = tanh(X_t W_xh + b_h + R_t ⊙ (H_{t-1} W_hh + b_hn))   (reset_after=True)
        H_t = Z_t ⊙ H_{t-1} + (1 − Z_t) ⊙ H̃_t

    Shapes: X_t (B, D), H_{t-1} (B, H) → H_t (B, H).
    Departure from the lecture: PyTorch's GRU applies the reset gate after the recurrent
    matmul; ``reset_after=True`` is that variant (with its extra bias ``b_hn``) so torch
    weights import exactly.
    """

    gates = ("r", "z", "h")
    state_type = RNNState

    def __init__(self, input_size: int, hidden_size: int, *, bias: bool = True,
                 reset_after: bool = False) -> None:
        super().__init__(input_size, hidden_size, bias)
        self.reset_after = reset_after
        if reset_after and bias:
            self.b_hn = _param(hidden_size, hidden=hidden_size)
        else:
            self.register_parameter("b_hn", None)

    def forward(self, x: Tensor, state: RNNState) -> RNNState:
        H = state.h  # (B, H)
        R = torch.sigmoid(self._affine("r", x, H))  # (B, H)
        Z = torch.sigmoid(self._affine("z", x, H))  # (B, H)
        if self.reset_after:
            hh = H @ self.W_hh if self.b_hn is None else H @ self.W_hh + self.b_hn  # (B, H)
            pre = x @ self.W_xh + R * hh  # (B, H)
        else:
            pre = x @ self.W_xh + (R * H) @ self.W_hh  # (B, H)
        if self.b_h is not None:
            pre = pre + self.b_h
        H_tilde = torch.tanh(pre)  # (B, H)
        return RNNState(Z * H + (1 - Z) * H_tilde)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", reset_after={self.reset_after}"
