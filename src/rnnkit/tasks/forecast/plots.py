"""PNG plots: history + forecast with 80/95 % intervals; the training curve."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rnnkit.atomic import atomic_path
from rnnkit.tasks.forecast.metrics import Forecast


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_forecast(path: Path, y_hist: np.ndarray, fc: Forecast, y_true: np.ndarray | None, title: str) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4))
    n, h = len(y_hist), len(fc.mean)
    tf = np.arange(n, n + h)
    ax.plot(np.arange(n), y_hist, color="k", lw=1, label="history")
    ax.fill_between(tf, fc.lo95, fc.hi95, color="C0", alpha=0.2, label="95 %")
    ax.fill_between(tf, fc.lo80, fc.hi80, color="C0", alpha=0.35, label="80 %")
    ax.plot(tf, fc.mean, color="C0", lw=1.5, label="forecast")
    if y_true is not None:
        ax.plot(tf[:len(y_true)], y_true, color="C3", lw=1, label="actual")
    ax.set_title(title)
    ax.set_xlabel("step")
    ax.legend(loc="upper left", fontsize=8)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)


def plot_history(path: Path, history: list[dict[str, float]]) -> bool:
    """Training loss per epoch; False (nothing written) when there was no training."""
    if not history:
        return False
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([r.get("epoch", i + 1) for i, r in enumerate(history)], [r["train_loss"] for r in history], marker=".")
    ax.set_xlabel("epoch")
    ax.set_ylabel("train loss (NLL / pinball)")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return True
