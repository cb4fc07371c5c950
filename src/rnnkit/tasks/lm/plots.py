"""Learning curves of a language model: train and validation bpc (characters) or perplexity."""

from __future__ import annotations

import math
from pathlib import Path

from rnnkit.atomic import atomic_path


def plot_curves(path: Path, history: list[dict[str, float]], unit: str) -> bool:
    """Per-epoch train and validation metric; False (nothing written) without history."""
    if not history:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    char = unit == "char"
    conv = (lambda l: l / math.log(2)) if char else (lambda l: math.exp(min(l, 50.0)))  # noqa: E731
    epochs = [r["epoch"] for r in history]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(epochs, [conv(r["train_loss"]) for r in history], marker=".", label="train")
    if all("val_loss" in r for r in history):
        ax.plot(epochs, [conv(r["val_loss"]) for r in history], marker=".", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("bits per character" if char else "perplexity")
    if not char:
        ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return True
