"""Nested training state ↔ one safetensors file, without pickle.

A checkpoint holds optimizer/scheduler state dicts, RNG states and bookkeeping: nested dicts,
lists and tuples of numbers, strings, tensors and numpy arrays. :func:`pack` splits such an
object into JSON (structure and scalars) and a flat dict of tensors; both go into one
safetensors file (the JSON in its header metadata), so one atomic rename writes the whole state
and loading parses only JSON and raw tensor bytes.

Encodings: a tensor becomes ``{"__t__": key}``; a numpy array ``{"__np__": key}``; a tuple
``{"__tuple__": [...]}``; a dict with non-string keys ``{"__dict__": [[k, v], ...]}``; floats
keep their exact value (JSON writes the shortest round-tripping repr; inf/nan allowed).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import torch

from rnnkit.errors import ModelFileError

__all__ = ["pack", "unpack"]

_MARKERS = ("__t__", "__np__", "__tuple__", "__dict__")


def pack(obj: Any) -> tuple[str, dict[str, torch.Tensor]]:
    """``obj`` → (JSON text, tensors). Raises ``TypeError`` on an unsupported leaf."""
    tensors: dict[str, torch.Tensor] = {}

    def enc(v: Any) -> Any:
        if isinstance(v, torch.Tensor):
            key = f"t{len(tensors)}"
            tensors[key] = v.detach().to("cpu").contiguous().clone()
            return {"__t__": key}
        if isinstance(v, np.ndarray):
            key = f"t{len(tensors)}"
            tensors[key] = torch.from_numpy(np.ascontiguousarray(v).copy())
            return {"__np__": key}
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, tuple):
            return {"__tuple__": [enc(x) for x in v]}
        if isinstance(v, list):
            return [enc(x) for x in v]
        if isinstance(v, dict):
            if all(isinstance(k, str) for k in v) and not any(m in v for m in _MARKERS):
                return {k: enc(x) for k, x in v.items()}
            return {"__dict__": [[enc(k), enc(x)] for k, x in v.items()]}
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        raise TypeError(f"cannot store {type(v).__name__} in a checkpoint")

    return json.dumps(enc(obj), allow_nan=True), tensors


def unpack(text: str, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of :func:`pack`."""
    try:
        tree = json.loads(text)
    except json.JSONDecodeError:
        raise ModelFileError("checkpoint state is not valid JSON") from None

    def dec(v: Any) -> Any:
        if isinstance(v, list):
            return [dec(x) for x in v]
        if not isinstance(v, dict):
            return v
        if "__t__" in v:
            return tensors[v["__t__"]]
        if "__np__" in v:
            return tensors[v["__np__"]].numpy()
        if "__tuple__" in v:
            return tuple(dec(x) for x in v["__tuple__"])
        if "__dict__" in v:
            return {_hashable(dec(k)): dec(x) for k, x in v["__dict__"]}
        return {k: dec(x) for k, x in v.items()}

    try:
        return dec(tree)
    except KeyError as e:
        raise ModelFileError(f"checkpoint state refers to a missing tensor {e}") from None


def _hashable(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k
