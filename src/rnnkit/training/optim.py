"""Optimizers from :class:`~rnnkit.training.TrainConfig`: SGD (with momentum), Adam, AdamW."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from rnnkit.training.config import TrainConfig

__all__ = ["make_optimizer"]


def make_optimizer(params: Iterable[torch.nn.Parameter], cfg: TrainConfig) -> torch.optim.Optimizer:
    """``cfg.optimizer`` over ``params`` with ``cfg.lr``, ``momentum`` (SGD), ``weight_decay``.

    SGD: v ← μ·v + g; θ ← θ − η·v. Adam/AdamW use torch's defaults β = (0.9, 0.999), ε = 1e-8;
    AdamW decouples the weight decay from the gradient.
    """
    params = list(params)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
