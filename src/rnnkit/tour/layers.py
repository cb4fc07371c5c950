"""Tour section "layers": RNN vs LSTM vs GRU one step ahead on yearly sunspots, and a look
at vanishing gradients (‖∂E/∂H_t‖ per step) for a simple RNN and an LSTM."""

from __future__ import annotations

import time

import torch
from torch import nn

from rnnkit.errors import DatasetUnavailable
from rnnkit.nn import GRU, LSTM, RNN, Readout, gradient_norms_per_step, plot_gradient_norms
from rnnkit.tour.base import SectionResult, TourContext
from rnnkit.training import StepOutput, TensorBatches, TrainConfig, fit

TITLE = "Recurrent layers: RNN vs LSTM vs GRU on yearly sunspots"
WINDOW = 20


class OneStep(nn.Module):
    """ŷ_{t+1} = H_T W_ho + b_o after reading the window y_{t-k..t} (x (B, T, 1) → (B,))."""

    def __init__(self, layer: nn.Module, hidden: int) -> None:
        super().__init__()
        self.layer, self.readout = layer, Readout(hidden, 1)

    def forward(self, x: torch.Tensor, lengths=None):
        out, _ = self.layer(x, lengths=lengths)  # (B, T, H)
        return self.readout(out[:, -1]).squeeze(-1)  # (B,)


def _sunspots() -> torch.Tensor:
    try:
        import statsmodels.api as sm
    except ImportError as e:
        raise DatasetUnavailable("the layers section needs statsmodels (pip install statsmodels)") from e
    y = torch.tensor(sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(), dtype=torch.float32)
    return (y - y.mean()) / y.std()  # (N,)


def _windows(y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = y.unfold(0, WINDOW, 1)[:-1].unsqueeze(-1)  # (N-W, W, 1)
    return x, y[WINDOW:]  # targets (N-W,)


def run(ctx: TourContext) -> SectionResult:
    y = _sunspots()
    x, t = _windows(y)
    n_val = 40
    xtr, ttr, xva, tva = x[:-n_val], t[:-n_val], x[-n_val:], t[-n_val:]
    hidden, epochs = (8, 2) if ctx.quick else (32, 30)
    cfg = TrainConfig(seed=ctx.seed, device="cpu", epochs=epochs, batch_size=32, lr=1e-2,
                      quiet=ctx.quiet or ctx.quick)
    rows, models = [], {}
    for name, cls in (("rnn", RNN), ("lstm", LSTM), ("gru", GRU)):
        torch.manual_seed(ctx.seed)
        model = OneStep(cls(1, hidden), hidden)
        t0 = time.perf_counter()

        def step(m, batch):
            xb, yb = batch
            return StepOutput(nn.functional.mse_loss(m(xb), yb), len(yb))

        fit(model, step, TensorBatches(xtr, ttr, batch_size=32, seed=ctx.seed), cfg)
        model.eval()
        with torch.no_grad():
            val = float(nn.functional.mse_loss(model(xva), tva))
        rows.append({"cell": name, "params": sum(p.numel() for p in model.parameters()),
                     "val_mse (std units)": val, "seconds": time.perf_counter() - t0})
        models[name] = model
    naive = float(nn.functional.mse_loss(xva[:, -1, 0], tva))
    rows.append({"cell": "naive (last value)", "params": 0, "val_mse (std units)": naive, "seconds": 0.0})
    return SectionResult(TITLE, rows, files=[_gradient_plot(ctx, models, xva)],
                         notes=[f"one-step-ahead on the last {n_val} years; window {WINDOW}, hidden {hidden}"])


def _gradient_plot(ctx: TourContext, models: dict, x: torch.Tensor):
    """‖∂E/∂H_t‖ of the loss at the last step, for the trained RNN and LSTM."""
    norms = {name: gradient_norms_per_step(models[name].layer, x, lambda out: out[0][:, -1].sum())
             for name in ("rnn", "lstm")}
    return plot_gradient_norms(norms, ctx.section_dir("layers") / "gradient_norms.png",
                               title="‖∂E/∂H_t‖ for E at the last step (trained on sunspots)")
