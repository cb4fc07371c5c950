"""The one time loop, and the compositions built from it.

``Recurrent(cell)`` runs a cell over a padded batch; ``Bidirectional(fwd, bwd)`` runs two
of them, the backward one reversed within each sequence's own length. Deep layers (in
``layers.py``) stack these. Shape legend: B batch, T time, D input, H hidden.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.nn.fused import run_fused
from rnnkit.nn.masking import reverse_padded, time_mask
from rnnkit.nn.state import LSTMState, RNNState


class Recurrent(nn.Module):
    """Run ``cell`` over time: the time loop, written once.

        for t = 1..T:  S_t = cell(X_t, S_{t-1})   (frozen once t ≥ length)

    Shapes: x (B, T, D), lengths (B,) or None, state: the cell's NamedTuple of (B, H) →
    outputs (B, T, H) with zeros at padded steps, and the state at each sequence's last
    valid step. ``reverse=True`` reads each sequence backwards within its own length and
    writes outputs back in the original order. ``backend="fused"`` runs the same recurrence
    through ``rnnkit.nn.fused`` (hoisted input projection, hand-written BPTT); the
    reference loop below is the lecture's equations step by step, through autograd.
    """

    def __init__(self, cell: nn.Module, *, reverse: bool = False, backend: str = "reference") -> None:
        super().__init__()
        self.cell, self.reverse, self.backend = cell, reverse, backend
        self.recorded: list[Tensor] | None = None  # set to [] by diagnostics.record_hidden_states

    def forward(self, x: Tensor, lengths: Tensor | None = None,
                state: RNNState | LSTMState | None = None) -> tuple[Tensor, RNNState | LSTMState]:
        if self.backend == "fused" and self.recorded is None:
            return run_fused(self.cell, x, lengths, state, self.reverse)
        B, T, _ = x.shape
        if state is None:
            state = self.cell.zero_state(B, device=x.device, dtype=x.dtype)
        if self.reverse:
            x = reverse_padded(x, lengths)  # (B, T, D)
        mask = None if lengths is None else time_mask(lengths, T).unsqueeze(-1)  # (B, T, 1)
        outs = []
        for t in range(T):
            new = self.cell(x[:, t], state)
            if mask is not None:
                m = mask[:, t]  # (B, 1)
                new = type(new)(*(torch.where(m, n, s) for n, s in zip(new, state, strict=True)))
            state = new
            outs.append(state.h)  # (B, H)
            if self.recorded is not None:
                self.recorded.append(state.h)
        out = torch.stack(outs, dim=1)  # (B, T, H)
        if mask is not None:
            out = out * mask
        if self.reverse:
            out = reverse_padded(out, lengths)
        return out, state


class Bidirectional(nn.Module):
    """Two time loops, one forward and one backward, concatenated.

        H_t = concat(H_t^f, H_t^b)

    Shapes: x (B, T, D) → outputs (B, T, 2H); states (fwd, bwd), each the cell's NamedTuple.
    """

    def __init__(self, forward_layer: Recurrent, backward_layer: Recurrent) -> None:
        super().__init__()
        if forward_layer.reverse or not backward_layer.reverse:
            raise ValueError("Bidirectional needs a forward and a reverse Recurrent")
        self.fwd, self.bwd = forward_layer, backward_layer

    def forward(self, x: Tensor, lengths: Tensor | None = None,
                state: tuple | None = None) -> tuple[Tensor, tuple]:
        sf, sb = state if state is not None else (None, None)
        out_f, sf = self.fwd(x, lengths, sf)  # (B, T, H)
        out_b, sb = self.bwd(x, lengths, sb)  # (B, T, H)
        return torch.cat([out_f, out_b], dim=-1), (sf, sb)  # (B, T, 2H)
