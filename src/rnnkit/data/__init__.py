"""Datasets, tokenizers and batching."""

from rnnkit.data.registry import DatasetInfo, datasets, get, load, register

__all__ = ["DatasetInfo", "datasets", "get", "load", "register"]
