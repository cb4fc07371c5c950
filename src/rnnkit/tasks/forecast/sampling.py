"""Multi-step forecasting by sampling paths in z space, then inverting the transform.

Gaussian head: S sample paths z̃_{T+k} = μ_k + σ_k ε (fed back for recursive / blockwise for
direct/mimo beyond the trained steps) plus one noise-free path, which gives the point forecast;
interval bounds are quantiles of the inverted paths. Quantile head: the predicted quantiles, fed
back by their median when h exceeds the trained steps.
"""

from __future__ import annotations

import numpy as np
import torch

from rnnkit.tasks.forecast.metrics import Forecast


def _window(fc, series) -> tuple[np.ndarray, np.ndarray]:
    tr, lags = fc.transform, fc.cfg.lags
    z = tr.forward(series.y)  # (N,)
    if len(z) < lags:
        from rnnkit.errors import DataError
        raise DataError(f"need at least {lags + tr.lost} points of history, got {len(series.y)}")
    u = z[:, None] if series.covariates is None else np.concatenate([z[:, None], tr.covariates(series.covariates)], 1)
    return u[-lags:], z


@torch.no_grad()
def _paths(net, window: np.ndarray, h: int, samples: int, gen: torch.Generator) -> np.ndarray:
    """window (K, D) → z paths (S+1, h); row 0 is the noise-free (mean / median) path."""
    x = torch.tensor(window, dtype=torch.float32).expand(samples + 1, -1, -1).clone()  # (S+1, K, D)
    done: list[torch.Tensor] = []
    while sum(p.shape[1] for p in done) < h:
        out = net(x)  # (S+1, M, P)
        if net.params == 2:
            eps = torch.randn(out.shape[:2], generator=gen)
            eps[0] = 0.0
            z = out[..., 0] + out[..., 1].clamp(-7, 7).exp() * eps  # (S+1, M)
        else:
            z = out[..., 2].clone()
        done.append(z)
        new = torch.zeros(x.shape[0], z.shape[1], x.shape[2])
        new[..., 0] = z
        x = torch.cat([x, new], 1)[:, -x.shape[1]:]  # (S+1, K, D)
    return torch.cat(done, 1)[:, :h].numpy().astype(np.float64)


@torch.no_grad()
def _quantile_forecast(fc, window, z, series, h) -> Forecast:
    net, q = fc.net, []
    x = torch.tensor(window, dtype=torch.float32)[None]  # (1, K, D)
    while sum(a.shape[0] for a in q) < h:
        out = net(x)[0].sort(dim=-1).values  # (M, 5) non-crossing
        q.append(out.numpy())
        new = torch.zeros(1, out.shape[0], x.shape[2])
        new[0, :, 0] = out[:, 2]
        x = torch.cat([x, new], 1)[:, -x.shape[1]:]
    qs = np.concatenate(q, 0)[:h].T  # (5, h)
    inv = fc.transform.inverse(qs, series.y)  # (5, h) monotone transforms keep the order
    return Forecast(inv[2], inv[1], inv[3], inv[0], inv[4])


def sample_forecast(fc, series, h: int, seed: int) -> Forecast:
    window, z = _window(fc, series)
    if fc.net.params == 5:
        return _quantile_forecast(fc, window, z, series, h)
    gen = torch.Generator().manual_seed(seed)
    paths = fc.transform.inverse(_paths(fc.net, window, h, fc.cfg.samples, gen), series.y)  # (S+1, h)
    lo95, lo80, hi80, hi95 = np.quantile(paths[1:], [0.025, 0.1, 0.9, 0.975], axis=0)
    return Forecast(paths[0], lo80, hi80, lo95, hi95)


__all__ = ["sample_forecast"]
