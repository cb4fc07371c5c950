"""Truncated backpropagation through time over one long token stream (Zaremba et al. 2014).

Full BPTT (the lecture) sums over every earlier step k:
∂E_t/∂W = Σ_{k≤t} ∂E_t/∂ŷ_t · ∂ŷ_t/∂s_t · (Π_{j=k+1..t} ∂s_j/∂s_{j−1}) · ∂s_k/∂W.
Truncated BPTT keeps only the terms of the current window (at most k2 steps back): the
state entering a window is a constant (detached), so the product never reaches past it.
Whole sequences (classification, tagging, forecasting windows) simply use full BPTT: one
batch = whole sequences, no carried state.

Layout. A stream of N tokens is cut into B rows, ``data = stream[:B·L].view(B, L)`` with
L = N // B; row b continues row b's text from one window to the next, so the hidden state
of row b at the end of window i is the right initial state for window i + 1.

Windows (k1 = ``stride``, k2 = ``bptt``; Williams & Peng's BPTT(k1, k2)). Window i starts at
column s = i·k1 and holds inputs ``x = data[:, s : s+T]`` and targets ``y = data[:, s+1 : s+1+T]``
with T = min(k2, L − 1 − s). Every target is scored exactly once: window 0 scores all of its
T targets, later windows only those after ``loss_from = k2 − k1`` (the first k2 − k1 columns
overlap the previous window and only rebuild the context). Gradients flow through at most k2
steps; the state is carried forward every k1 steps.

* k1 = k2 = ``bptt`` (the default, Zaremba): batch i is the plain pair ``(x, y)``, both (B, T),
  windows do not overlap, and the state at the end of a window starts the next one.
* k1 < k2: batch i is a :class:`Window` ``(x, y, loss_from, carry_at)``; the state to carry is
  the one after the first ``carry_at = k1`` steps of the window (:func:`run_window` does the
  split forward pass).

State rules (:class:`CarriedState`): the state is detached from the graph whenever it is
stored, so backward never crosses a window boundary; it is reset to ``None`` (zeros) at index 0
of every epoch, for validation and for inference. It is part of every checkpoint, so a resumed
run continues mid-epoch with the exact state. Inference is independent of the training batch:
a model run on any B starts from a zero state.

Shapes: B batch (rows), T time (window length), H hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch

from rnnkit.errors import ConfigError, DataError, ModelFileError

__all__ = ["CarriedState", "StreamBatches", "Window", "as_window", "detach_state", "run_window"]


class Window(NamedTuple):
    """One BPTT(k1, k2) window: score targets from ``loss_from``; carry the state at ``carry_at``."""

    x: torch.Tensor  # (B, T) inputs
    y: torch.Tensor  # (B, T) targets (x shifted by one)
    loss_from: int
    carry_at: int


class StreamBatches:
    """Deterministic TBPTT windows over a 1-D token stream; a :class:`~rnnkit.training.Batches`.

    ``get(epoch, i)`` ignores ``epoch`` (the order of windows is the stream's order and must not
    be shuffled, or the carried state would be wrong). Under data-parallel training the engine
    shards rows, so each rank carries the state of its own rows.
    """

    def __init__(self, stream: torch.Tensor, batch_size: int, bptt: int, *, stride: int | None = None) -> None:
        if stream.dim() != 1:
            raise DataError(f"a token stream must be 1-D, got shape {tuple(stream.shape)}")
        stride = bptt if stride is None else stride
        if batch_size < 1 or bptt < 1 or not 1 <= stride <= bptt:
            raise ConfigError(f"need batch_size ≥ 1 and 1 ≤ stride ≤ bptt, got {batch_size}, {stride}, {bptt}")
        cols = stream.shape[0] // batch_size
        if cols < 2:
            raise DataError(f"stream of {stream.shape[0]} tokens is too short for {batch_size} rows")
        self.data = stream[:batch_size * cols].reshape(batch_size, cols)  # (B, L)
        self.batch_size, self.bptt, self.stride = batch_size, bptt, stride

    def __len__(self) -> int:
        cols = self.data.shape[1]
        return 1 + max(0, -(-(cols - 1 - self.bptt) // self.stride))

    def window(self, index: int) -> Window:
        """Window ``index`` with its scoring and carrying positions."""
        if not 0 <= index < len(self):
            raise IndexError(f"window {index} out of range 0..{len(self) - 1}")
        s = index * self.stride
        t = min(self.bptt, self.data.shape[1] - 1 - s)
        x = self.data[:, s:s + t]  # (B, T)
        y = self.data[:, s + 1:s + 1 + t]  # (B, T)
        loss_from = 0 if index == 0 else min(self.bptt - self.stride, t)
        return Window(x, y, loss_from, min(self.stride, t))

    def get(self, epoch: int, index: int) -> tuple[torch.Tensor, torch.Tensor] | Window:
        w = self.window(index)
        return (w.x, w.y) if self.stride == self.bptt else w


def as_window(batch: Any) -> Window:
    """A plain ``(x, y)`` pair as the Window it stands for (score all, carry at the end)."""
    if isinstance(batch, Window):
        return batch
    x, y = batch
    return Window(x, y, 0, x.shape[1])


def detach_state(state: Any) -> Any:
    """Detach every tensor in a (nested, named) tuple/list/dict state."""
    if isinstance(state, torch.Tensor):
        return state.detach()
    if isinstance(state, tuple) and hasattr(state, "_fields"):
        return type(state)(*(detach_state(s) for s in state))
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    if isinstance(state, dict):
        return {k: detach_state(v) for k, v in state.items()}
    return state


class CarriedState:
    """The hidden state handed from one window to the next within an epoch (detached).

    The task's step reads :meth:`get` as the initial state and stores the final one with
    :meth:`set`; :func:`~rnnkit.training.fit` (given ``carried=``) calls :meth:`reset` at index
    0 of every epoch and saves/restores the state in checkpoints.
    """

    def __init__(self) -> None:
        self.state: Any = None

    def get(self) -> Any:
        return self.state

    def set(self, state: Any) -> None:
        self.state = detach_state(state)

    def reset(self) -> None:
        self.state = None

    def state_dict(self) -> dict[str, Any]:
        return {"state": _plain(self.state), "kind": _kind(self.state)}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        self.state = _restore(saved["state"], saved.get("kind"))


def run_window(run: Callable[[torch.Tensor, Any], tuple[torch.Tensor, Any]], window: Window,
               carried: CarriedState) -> torch.Tensor:
    """Run ``run(x, state) -> (out, state)`` over a window from the carried state.

    Stores the state after ``carry_at`` steps (detached) in ``carried`` and returns the outputs
    of all T steps, ``out`` (B, T, ...); gradients still flow through the whole window.
    """
    x, state, c = window.x, carried.get(), window.carry_at
    if c >= x.shape[1]:
        out, state = run(x, state)  # (B, T, ...)
        carried.set(state)
        return out
    out1, mid = run(x[:, :c], state)  # (B, k1, ...)
    carried.set(mid)
    out2, _ = run(x[:, c:], mid)  # (B, T − k1, ...)
    return torch.cat([out1, out2], dim=1)  # (B, T, ...)


def _kind(state: Any) -> Any:
    """The named-tuple classes inside a state, so a restored state has the same types."""
    if isinstance(state, tuple) and hasattr(state, "_fields"):
        return {"nt": f"{type(state).__module__}:{type(state).__qualname__}", "items": [_kind(s) for s in state]}
    if isinstance(state, (tuple, list)):
        return {"items": [_kind(s) for s in state]}
    return None


def _plain(state: Any) -> Any:
    if isinstance(state, tuple) and hasattr(state, "_fields"):
        return tuple(_plain(s) for s in state)
    return state


def _restore(state: Any, kind: Any) -> Any:
    if not isinstance(kind, dict) or not isinstance(state, (tuple, list)):
        return state
    items = [_restore(s, k) for s, k in zip(state, kind["items"], strict=False)]
    if "nt" not in kind:
        return type(state)(items)
    return _named_tuple(kind["nt"])(*items)


def _named_tuple(name: str) -> type:
    """Import a named-tuple class by ``module:qualname``; only rnnkit's own classes."""
    import importlib

    module, _, qual = name.partition(":")
    if not (module == "rnnkit" or module.startswith("rnnkit.")) or "." in qual:
        raise ModelFileError(f"checkpoint names a state type outside rnnkit: {name}")
    cls = getattr(importlib.import_module(module), qual, None)
    if not (isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")):
        raise ModelFileError(f"checkpoint names an unknown state type: {name}")
    return cls

