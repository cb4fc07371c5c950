"""Vanishing and exploding gradients: ‖∂E/∂H_t‖ for every time step and layer, and a plot.

The lecture: ∂s_t/∂s_{t−1} = f′·W, so ∏_j ∂s_j/∂s_{j−1} shrinks or grows geometrically with
the distance; the gradient reaching early steps vanishes (simple RNN) or explodes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch import Tensor, nn

from rnnkit.atomic import atomic_path
from rnnkit.nn.recurrent import Recurrent


@contextlib.contextmanager
def record_hidden_states(module: nn.Module) -> Iterator[list[list[Tensor]]]:
    """Record each ``Recurrent`` loop's per-step hidden states H_t (graph tensors) in ``module``.

    Yields a list with one list of T tensors (B, H) per loop, in module order.
    """
    loops = [m for m in module.modules() if isinstance(m, Recurrent)]
    for loop in loops:
        loop.recorded = []
    records: list[list[Tensor]] = [loop.recorded for loop in loops]  # type: ignore[misc]
    try:
        yield records
    finally:
        for loop in loops:
            loop.recorded = None


def gradient_norms_per_step(model: nn.Module, x: Tensor, loss_fn: Callable[[object], Tensor],
                            lengths: Tensor | None = None) -> Tensor:
    """‖∂E/∂H_t‖ (L2 over batch and units) for every recurrent loop and step.

    ``model(x, lengths=lengths)`` must run the recurrent layers (an rnnkit layer, or a module
    containing them, called with the same signature); ``loss_fn(output)`` returns the scalar E.
    Returns (loops, T): one row per time loop (layer × direction) in module order.
    The model's parameter gradients are left untouched.
    """
    with record_hidden_states(model) as records:
        out = model(x, lengths=lengths)
        states = [h for rec in records for h in rec]
        loss = loss_fn(out)
        grads = torch.autograd.grad(loss, states, allow_unused=True)
    T = len(records[0]) if records else 0
    norms = torch.zeros(len(records), T)
    for i, g in enumerate(grads):
        if g is not None:
            norms[i // T, i % T] = torch.linalg.vector_norm(g.detach()).cpu()
    return norms  # (loops, T)


def plot_gradient_norms(norms: dict[str, Tensor] | Tensor, path: str | Path,
                        title: str = "Gradient norm ‖∂E/∂H_t‖ per time step") -> Path:
    """Line plot of gradient norms against t (log scale); ``norms``: name → (loops, T) or (T,)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if isinstance(norms, Tensor):
        norms = {"gradient": norms}
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, n in norms.items():
        n = n if n.dim() == 2 else n.unsqueeze(0)
        for i, row in enumerate(n):
            label = name if n.shape[0] == 1 else f"{name} loop {i}"
            ax.plot(range(1, len(row) + 1), row.clamp_min(1e-30).numpy(), label=label)
    ax.set_yscale("log")
    ax.set_xlabel("time step t")
    ax.set_ylabel("‖∂E/∂H_t‖")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return path
