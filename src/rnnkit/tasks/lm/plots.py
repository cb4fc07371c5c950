"""Learning curves of a language model: train and validation bpc (characters) or perplexity."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rnnkit.atomic import atomic_path


def plot_curves(path: Path, rows: list[dict[str, Any]], unit: str) -> bool:
    """Train loss per logged step and validation at each epoch end, as bpc (characters) or
    perplexity, against optimizer steps. ``rows`` are the engine's metrics rows (``kind`` step
    or epoch); False (nothing written) with fewer than two training points."""
    train = [(r["step"], r["train_loss"]) for r in rows if r.get("kind") == "step"]
    valid = [(r["step"], r["val_loss"]) for r in rows if r.get("kind") == "epoch" and "val_loss" in r]
    if len(train) < 2:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    char = unit == "char"
    conv = (lambda l: l / math.log(2)) if char else (lambda l: math.exp(min(l, 50.0)))  # noqa: E731
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([s for s, _ in train], [conv(l) for _, l in train], lw=1, label="train (batch)")
    if valid:
        ax.plot([s for s, _ in valid], [conv(l) for _, l in valid], marker="o", label="validation (epoch end)")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("bits per character" if char else "perplexity")
    if not char:
        ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return True
