"""Recurrent layers: deep and bidirectional compositions of ``Recurrent(cell)``.

Shape legend: B batch, T time, D input, H hidden, L layers, dirs = 2 if bidirectional else 1.

    H_t^1 = f(X_t W_xh^1 + H_{t-1}^1 W_hh^1 + b_h^1)
    H_t^l = f(H_t^{l-1} W_xh^l + H_{t-1}^l W_hh^l + b_h^l),   l = 2..L
    (bidirectional: H_t^l = concat(H_t^{l,f}, H_t^{l,b}))

``forward(x, lengths=None, state=None) -> (outputs, state)``: x (B, T, D), lengths (B,) in
any order (no sorting), outputs (B, T, H·dirs) with zeros at padded steps; ``state`` is a
NamedTuple (``RNNState(h)`` or ``LSTMState(h, c)``) of tensors (L·dirs, B, H) in torch's
order, holding each sequence's state at its last valid step; the same NamedTuple is accepted
as the initial state. Dropout is applied between layers, not after the last.
The cell of layer ``l`` and direction ``d`` (0 forward, 1 backward) is ``layer.cell(l, d)``.

Backends (equal within 1e-5, tested): ``"reference"`` runs the lecture's cell equations step
by step through autograd; ``"fused"`` hoists ``X W_x`` out of the loop, fuses the gates and
back-propagates with the hand-derived BPTT of ``rnnkit.nn.fused_kernels``, and on CPU (from
B ≥ 8) runs each layer as compiled loops on torch's threads (``rnnkit.nn.team_kernels``);
``"auto"`` (default) picks the fastest correct path measured on CPU: the fused path's compiled
whole loops for small problems (about B·G·H² ≤ 2¹⁸; LSTM only with B ≤ 4 and B·4H² ≤ 2¹⁵);
its layer kernels for larger GRU and RNN layers, and for training 1- or 2-layer LSTMs on an
input that needs no gradient (``_layer_kernel_wins``); else torch's own kernel
(``rnnkit.nn.torch_dispatch``, weights still rnnkit's) for LSTM layers and for GRU/RNN
inference (see ``_use_torch_kernel`` for builds without the layer kernels). Outputs of the
fused path are (B, T, H) views of time-major buffers: use ``.reshape``, not ``.view``, to
flatten them.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.allocator import freed_memory_kept
from rnnkit.errors import ConfigError, ShapeError
from rnnkit.nn.cells import GRUCell, LSTMCell, RNNCell
from rnnkit.nn.fused import step_fused, supports_fused
from rnnkit.nn.fused_numba import small_enough
from rnnkit.nn.masking import check_lengths
from rnnkit.nn.recurrent import Bidirectional, Recurrent
from rnnkit.nn.state import LSTMState, RNNState
from rnnkit.nn.step_matmul import uses_onednn
from rnnkit.nn.team_kernels import threads_for
from rnnkit.nn.torch_dispatch import forward_torch, torch_compatible

BACKENDS = ("auto", "reference", "fused")
# B·G·H² multiply-adds per step up to which ``auto`` prefers the compiled whole loops to torch's
# CPU kernels (BENCHMARKS.md, crossover table); the LSTM also needs B ≤ 4 (oneDNN wins above).
AUTO_COMPILED_WORK, AUTO_COMPILED_WORK_LSTM = 1 << 18, 1 << 15
# Share of padded steps up to which ``auto`` trains an LSTM with the fused layer kernel, which
# computes every step of every sequence, rather than torch's, which skips padded steps.
AUTO_MAX_PADDING = 0.05
AUTO_TEAM_MIN_ROWS = 16  # sequences per thread from which that kernel wins at H > 64
AUTO_MAX_LSTM_LAYERS = 2  # LSTM stacks up to which the first layer's skipped ∂E/∂X pays for the rest


def _padding(lengths: Tensor | None, T: int) -> float:
    """The share of (sequence, step) pairs past the sequences' ends."""
    return 0.0 if lengths is None else 1.0 - float(lengths.sum()) / (lengths.numel() * T)


class RecurrentLayer(nn.Module):
    """Base of ``RNN``, ``LSTM`` and ``GRU``: builds cells, stacks and runs them."""

    state_type: type = RNNState

    def __init__(self, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, bias: bool = True,
                 backend: str = "auto") -> None:
        super().__init__()
        if input_size < 1 or hidden_size < 1 or num_layers < 1:
            raise ConfigError("input_size, hidden_size and num_layers must be ≥ 1")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"dropout must lie in [0, 1), got {dropout}")
        if backend not in BACKENDS:
            raise ConfigError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bidirectional, self.dropout, self.bias, self.backend = bidirectional, dropout, bias, backend
        self.num_directions = 2 if bidirectional else 1
        layers = []
        for l in range(num_layers):
            d_in = input_size if l == 0 else hidden_size * self.num_directions
            fwd = Recurrent(self._make_cell(d_in, hidden_size))
            layers.append(Bidirectional(fwd, Recurrent(self._make_cell(d_in, hidden_size), reverse=True))
                          if bidirectional else fwd)
        self.layers = nn.ModuleList(layers)
        self.drop = nn.Dropout(dropout)
        self.set_backend(backend)

    def set_backend(self, backend: str) -> None:
        """Switch between ``"auto"``, ``"reference"`` and ``"fused"`` (weights unchanged)."""
        if backend not in BACKENDS:
            raise ConfigError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
        fused_ok = supports_fused(self.cell(0))
        if backend == "fused" and not fused_ok:
            raise ConfigError(f"no fused kernel for {self.cell(0)!r}")
        self.backend = backend
        resolved = "fused" if backend == "fused" or (backend == "auto" and fused_ok) else "reference"
        for loop in self.modules():
            if isinstance(loop, Recurrent):
                loop.backend = resolved

    def _make_cell(self, input_size: int, hidden_size: int) -> nn.Module:
        raise NotImplementedError

    def cell(self, layer: int, direction: int = 0) -> nn.Module:
        """The cell of ``layer`` (0-based) and ``direction`` (0 forward, 1 backward)."""
        block = self.layers[layer]
        if isinstance(block, Bidirectional):
            return (block.fwd, block.bwd)[direction].cell
        if direction != 0:
            raise IndexError("a unidirectional layer has only direction 0")
        return block.cell

    def _use_torch_kernel(self, x: Tensor, lengths: Tensor | None) -> bool:
        """``auto``: torch's kernel where it is the faster one (BENCHMARKS.md). On CUDA always
        (cuDNN). On CPU, small problems (``_compiled_loop_wins``) run the fused path's compiled
        whole loops, and larger ones its layer kernels on torch's threads where those win
        (``_layer_kernel_wins``). Where neither applies, LSTM layers run torch's kernel, and
        GRU/RNN layers too in inference (except GRUs whose steps run on oneDNN in the fused
        path, ``step_matmul.uses_onednn``); GRU training with a large batch (B > 64 or B·H >
        16384) does too unless ``rnnkit.allocator`` keeps freed memory: with glibc's defaults
        the fused kernel's torch-operator loop page-faults its large buffers in on every call."""
        if self.backend != "auto" or not torch_compatible(self) or any(
                loop.recorded is not None for loop in self.modules() if isinstance(loop, Recurrent)):
            return False
        if x.device.type == "cuda":
            return True
        if self._compiled_loop_wins(x) or self._layer_kernel_wins(x, lengths):
            return False
        if isinstance(self, LSTM):
            return True
        if not torch.is_grad_enabled():  # a large GRU's steps on oneDNN beat torch's GRU
            return not (isinstance(self, GRU) and uses_onednn(x, x.shape[0], self.hidden_size, 3 * self.hidden_size))
        batch = x.shape[0]
        return (isinstance(self, GRU) and not freed_memory_kept()
                and (batch > 64 or batch * self.hidden_size > 16384))

    def _layer_kernel_wins(self, x: Tensor, lengths: Tensor | None) -> bool:
        """Whether the fused path's layer kernel (``team_kernels``) runs here and beats torch's
        CPU kernel: with at most ``AUTO_MAX_PADDING`` padding (torch's kernel skips padded
        steps); for GRU and RNN layers then always, in training and inference. For LSTM
        layers only in training, where the input needs no gradient (the kernel's lead over
        oneDNN's LSTM is the ∂E/∂X it skips: with x.requires_grad it ran at 0.92–0.97 of torch's
        speed), with at most ``AUTO_MAX_LSTM_LAYERS`` layers (the upper layers' inputs do need
        one) and at least ``AUTO_TEAM_MIN_ROWS`` sequences per thread when H > 64 (fewer rows
        make each thread's matmuls slow). Measured in BENCHMARKS.md."""
        H = self.hidden_size
        P = threads_for(x, len(self.cell(0).gates), H)
        if P == 0 or _padding(lengths, x.shape[1]) > AUTO_MAX_PADDING:
            return False
        if not isinstance(self, LSTM):
            return True
        return (self._needs_backward(x) and not x.requires_grad and self.num_layers <= AUTO_MAX_LSTM_LAYERS
                and (H <= 64 or x.shape[0] >= AUTO_TEAM_MIN_ROWS * P))

    def _needs_backward(self, x: Tensor) -> bool:
        """Whether this call records a graph to back-propagate through (training)."""
        return torch.is_grad_enabled() and (x.requires_grad or any(p.requires_grad for p in self.parameters()))

    def _compiled_loop_wins(self, x: Tensor) -> bool:
        """Whether the compiled whole loops (``fused_numba``) run here and beat torch's CPU
        kernel, in training and inference alike: LSTM with B ≤ 4 and B·4H² ≤ 2¹⁵ (oneDNN's
        LSTM wins above), GRU/RNN with B·G·H² ≤ 2¹⁸ (measured in BENCHMARKS.md)."""
        B, H = x.shape[0], self.hidden_size
        if isinstance(self, LSTM):
            return B <= 4 and small_enough(x.device, x.dtype, B, 4 * H, H, limit=AUTO_COMPILED_WORK_LSTM)
        G = 3 if isinstance(self, GRU) else 1
        return small_enough(x.device, x.dtype, B, G * H, H, limit=AUTO_COMPILED_WORK)

    def _check_state(self, state, batch: int):
        if state is None:
            return None
        if not isinstance(state, self.state_type):
            raise ShapeError(f"state must be a {self.state_type.__name__}, got {type(state).__name__}")
        want = (self.num_layers * self.num_directions, batch, self.hidden_size)
        for name, t in zip(state._fields, state, strict=True):
            if tuple(t.shape) != want:
                raise ShapeError(f"state.{name} must have shape {want}, got {tuple(t.shape)}")
        return state

    def _split_state(self, state, batch: int) -> list:
        """(L·dirs, B, H) NamedTuple → per-layer states (a cell state, or a (fwd, bwd) pair)."""
        if self._check_state(state, batch) is None:
            return [None] * self.num_layers
        want = (self.num_layers * self.num_directions, batch, self.hidden_size)
        per = [self.state_type(*(t[i] for t in state)) for i in range(want[0])]  # each (B, H)
        if not self.bidirectional:
            return per
        return [(per[2 * l], per[2 * l + 1]) for l in range(self.num_layers)]

    def _join_state(self, finals: list):
        flat = [s for f in finals for s in (f if self.bidirectional else (f,))]
        return self.state_type(*(torch.stack(ts, 0) for ts in zip(*flat, strict=True)))  # (L·dirs, B, H)

    def _check_input(self, x: Tensor) -> None:
        if x.dim() != 3:
            raise ShapeError(f"x must be (B, T, D) batch-first, got shape {tuple(x.shape)}")
        if x.shape[2] != self.input_size:
            raise ShapeError(f"x has {x.shape[2]} features, the layer expects {self.input_size}")
        if x.shape[1] < 1:
            raise ShapeError("x has no time steps (T = 0)")
        cell = self.cell(0)
        w = getattr(cell, f"W_x{cell.gates[0]}")  # (D, H): the weights' dtype
        if not x.is_floating_point():
            raise ShapeError(f"x must be a floating-point tensor, got {x.dtype} (x.to({w.dtype}))")
        if x.dtype != w.dtype and not torch.is_autocast_enabled(x.device.type):
            raise ShapeError(f"x is {x.dtype} but the layer's weights are {w.dtype}: convert one "
                             f"(x.to({w.dtype}) or layer.to({x.dtype}))")

    def forward(self, x: Tensor, lengths: Tensor | None = None, state=None):
        self._check_input(x)
        lengths = check_lengths(lengths, x.shape[0], x.shape[1], x.device)
        if self._use_torch_kernel(x, lengths):
            return forward_torch(self, x, lengths, self._check_state(state, x.shape[0]))
        states, finals = self._split_state(state, x.shape[0]), []
        for l, block in enumerate(self.layers):
            if l > 0 and self.training and self.dropout > 0:
                x = self.drop(x.contiguous())  # batch-first memory: the same mask on every backend
            x, final = block(x, lengths, states[l])  # (B, T, H·dirs)
            finals.append(final)
        return x, self._join_state(finals)

    def step(self, x_t: Tensor, state=None):
        """One time step (unidirectional only), for generation.

        Shapes: x_t (B, D), state (L, B, H) NamedTuple or None → (h_top (B, H), state).
        """
        if self.bidirectional:
            raise ConfigError("step() needs a unidirectional layer (a backward pass needs the future)")
        if x_t.dim() != 2 or x_t.shape[1] != self.input_size:
            raise ShapeError(f"x_t must be (B, {self.input_size}), got {tuple(x_t.shape)}")
        states, finals = self._split_state(state, x_t.shape[0]), []
        for l, block in enumerate(self.layers):
            if l > 0:
                x_t = self.drop(x_t)
            s = states[l] if states[l] is not None else block.cell.zero_state(
                x_t.shape[0], device=x_t.device, dtype=x_t.dtype)
            s = step_fused(block.cell, x_t, s) if block.backend == "fused" else block.cell(x_t, s)
            finals.append(s)
            x_t = s.h  # (B, H)
        return x_t, self._join_state(finals)

    def zero_state(self, batch: int, *, device=None, dtype=None):
        """A zero state (L·dirs, B, H) of this layer's NamedTuple type."""
        z = torch.zeros(self.num_layers * self.num_directions, batch, self.hidden_size,
                        device=device, dtype=dtype)
        return self.state_type(*([z] * len(self.state_type._fields)))

    def to_torch(self) -> nn.Module:
        """The equivalent ``torch.nn.RNN/LSTM/GRU`` (batch_first=True) with copied weights."""
        from rnnkit.nn.interop import to_torch
        return to_torch(self)

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
                f"bidirectional={self.bidirectional}, dropout={self.dropout}, backend={self.backend!r}")


class RNN(RecurrentLayer):
    """Deep/bidirectional simple RNN: ``H_t = f(X_t W_xh + H_{t-1} W_hh + b_h)``; see module doc."""

    state_type = RNNState

    def __init__(self, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, bias: bool = True,
                 nonlinearity: str = "tanh", backend: str = "auto") -> None:
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional,
                         dropout=dropout, bias=bias, backend=backend)

    def _make_cell(self, input_size: int, hidden_size: int) -> RNNCell:
        return RNNCell(input_size, hidden_size, bias=self.bias, nonlinearity=self.nonlinearity)


class LSTM(RecurrentLayer):
    """Deep/bidirectional LSTM (gates I F O, C̃; state ``LSTMState(h, c)``); see ``LSTMCell``."""

    state_type = LSTMState

    def _make_cell(self, input_size: int, hidden_size: int) -> LSTMCell:
        return LSTMCell(input_size, hidden_size, bias=self.bias)


class GRU(RecurrentLayer):
    """Deep/bidirectional GRU (gates R Z, H̃); ``reset_after=True`` is torch's variant."""

    state_type = RNNState

    def __init__(self, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, bias: bool = True,
                 reset_after: bool = False, backend: str = "auto") -> None:
        self.reset_after = reset_after
        super().__init__(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional,
                         dropout=dropout, bias=bias, backend=backend)

    def _make_cell(self, input_size: int, hidden_size: int) -> GRUCell:
        return GRUCell(input_size, hidden_size, bias=self.bias, reset_after=self.reset_after)
