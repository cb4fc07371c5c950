"""Device choice: ``auto`` picks CUDA when present, else CPU."""

from __future__ import annotations

import torch

from rnnkit.errors import ConfigError

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str) -> torch.device:
    """Map ``auto|cpu|cuda[:N]`` to a ``torch.device``; a clear error if CUDA is absent."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"--device {name}: CUDA is not available on this machine")
        return torch.device(name)
    raise ConfigError(f"unknown device {name!r}; expected one of {', '.join(DEVICES)}")
