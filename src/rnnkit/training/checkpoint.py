"""Model directories: the on-disk form of a trained model.

A model directory holds::

    config.json          {"task", "config", "format_version", "rnnkit_version"}
    weights.safetensors  the model's state dict (safetensors: no pickle, ever)
    metrics.json         final metrics (name → number)
    <task files>         vocabulary, scaler, ... (text or bytes, named by the task)
    manifest.json        {"format_version", "files": {name: sha256}}  — written last

Every file is written atomically (temp file + rename); ``manifest.json`` is written last and
lists the sha256 of every other file, so a directory caught half-updated, a flipped byte or a
truncated file is reported as :class:`~rnnkit.errors.ModelFileError`, never loaded as garbage.
Loading reads weights with ``safetensors`` only; nothing is unpickled.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from torch import nn

from rnnkit import __version__, atomic
from rnnkit.errors import ModelFileError

FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
RESERVED = ("config.json", "weights.safetensors", "metrics.json", "manifest.json")

__all__ = ["FORMAT_VERSION", "ModelDir", "init_from", "load_model_dir", "save_model_dir",
           "sha256_bytes", "tensors_to_bytes"]


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def tensors_to_bytes(tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> bytes:
    """Serialise a flat name → tensor dict to safetensors bytes (CPU, contiguous, unshared)."""
    flat = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    return st_save(flat, metadata=metadata)


def _check_name(name: str) -> None:
    p = Path(name)
    if p.is_absolute() or ".." in p.parts or name in RESERVED or not name:
        raise ModelFileError(f"invalid task file name {name!r} for a model directory")


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True, allow_nan=True) + "\n").encode("utf-8")


def _clean_metrics(metrics: dict[str, float]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for k, v in metrics.items():
        v = float(v)
        out[k] = v if math.isfinite(v) else None
    return out


def save_model_dir(out: Path, *, task: str, config: dict[str, Any],
                   state_dict: dict[str, torch.Tensor],
                   files: dict[str, str | bytes] | None = None,
                   metrics: dict[str, float] | None = None) -> None:
    """Write a model directory at ``out`` (created if needed), every file atomically.

    ``config`` is the task's config as a JSON-friendly dict (``rnnkit.config.config_to_dict``);
    ``files`` maps extra file names to text or bytes (e.g. ``{"vocab.txt": "..."}``).
    """
    out = Path(out)
    blobs: dict[str, bytes] = {
        "config.json": _json_bytes({"task": task, "config": config, "format_version": FORMAT_VERSION,
                                    "rnnkit_version": __version__}),
        "weights.safetensors": tensors_to_bytes(state_dict),
        "metrics.json": _json_bytes(_clean_metrics(metrics or {})),
    }
    for name, data in (files or {}).items():
        _check_name(name)
        blobs[name] = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    for name, data in blobs.items():
        atomic.write_bytes(out / name, data)
    manifest = {"format_version": FORMAT_VERSION,
                "files": {name: sha256_bytes(data) for name, data in sorted(blobs.items())}}
    atomic.write_bytes(out / "manifest.json", _json_bytes(manifest))


@dataclass(frozen=True)
class ModelDir:
    """A verified model directory (every listed file matched its sha256 when loaded)."""

    path: Path
    task: str
    config: dict[str, Any]
    state_dict: dict[str, torch.Tensor]
    metrics: dict[str, float]
    format_version: int
    rnnkit_version: str
    hashes: dict[str, str] = field(default_factory=dict, repr=False)

    def read_bytes(self, name: str) -> bytes:
        """A task file's bytes, checked against the manifest."""
        if name not in self.hashes:
            raise ModelFileError(f"{self.path}: no file {name!r} in the model directory")
        return _read_verified(self.path, name, self.hashes[name])

    def read_text(self, name: str) -> str:
        """A task file as UTF-8 text, checked against the manifest."""
        try:
            return self.read_bytes(name).decode("utf-8")
        except UnicodeDecodeError:
            raise ModelFileError(f"{self.path / name}: not UTF-8 text") from None


def _read_verified(root: Path, name: str, sha: str) -> bytes:
    p = root / name
    if not p.is_file():
        raise ModelFileError(f"{p}: file listed in manifest.json is missing")
    data = p.read_bytes()
    if sha256_bytes(data) != sha:
        raise ModelFileError(f"{p}: sha256 mismatch (file corrupted, truncated or modified)")
    return data


def _parse_json(data: bytes, where: Path) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(f"{where}: not valid JSON (corrupted or truncated)") from None


def read_manifest(path: Path) -> dict[str, str]:
    """The manifest's name → sha256 map; one-line errors for a missing/invalid directory."""
    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(f"model directory not found: {path}")
    mf = path / "manifest.json"
    if not mf.is_file():
        raise ModelFileError(f"{path}: not a model directory (no manifest.json)")
    manifest = _parse_json(mf.read_bytes(), mf)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise ModelFileError(f"{mf}: malformed manifest")
    version = manifest.get("format_version")
    if version not in SUPPORTED_VERSIONS:
        raise ModelFileError(f"{path}: unknown model format version {version!r} "
                             f"(this rnnkit reads {', '.join(map(str, SUPPORTED_VERSIONS))})")
    return manifest["files"]


def load_weights_bytes(data: bytes, where: Path) -> dict[str, torch.Tensor]:
    """Parse safetensors bytes; a truncated/corrupt file is a :class:`ModelFileError`."""
    try:
        return st_load(data)
    except (SafetensorError, ValueError, RuntimeError) as e:
        raise ModelFileError(f"{where}: corrupt safetensors file ({str(e).splitlines()[0]})") from None


def load_model_dir(path: Path, *, task: str | None = None) -> ModelDir:
    """Load and verify a model directory; ``task`` (if given) must match the saved task."""
    path = Path(path)
    hashes = read_manifest(path)
    for required in ("config.json", "weights.safetensors"):
        if required not in hashes:
            raise ModelFileError(f"{path}: manifest.json does not list {required}")
    meta = _parse_json(_read_verified(path, "config.json", hashes["config.json"]), path / "config.json")
    version = meta.get("format_version") if isinstance(meta, dict) else None
    if version not in SUPPORTED_VERSIONS:
        raise ModelFileError(f"{path}: unknown model format version {version!r}")
    if task is not None and meta.get("task") != task:
        raise ModelFileError(f"{path}: a {meta.get('task')!r} model, not a {task!r} model")
    weights = load_weights_bytes(_read_verified(path, "weights.safetensors", hashes["weights.safetensors"]),
                                 path / "weights.safetensors")
    metrics = {}
    if "metrics.json" in hashes:
        metrics = _parse_json(_read_verified(path, "metrics.json", hashes["metrics.json"]),
                              path / "metrics.json")
    return ModelDir(path=path, task=str(meta.get("task")), config=dict(meta.get("config") or {}),
                    state_dict=weights, metrics=metrics, format_version=int(version),
                    rnnkit_version=str(meta.get("rnnkit_version")), hashes=dict(hashes))


def load_state_into(model: nn.Module, state: dict[str, torch.Tensor], where: object) -> None:
    """``model.load_state_dict(state)`` with a one-line :class:`ModelFileError` on mismatch."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    extra = sorted(set(state) - set(own))
    bad = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or extra or bad:
        parts = [f"missing {missing[:3]}" if missing else "", f"unexpected {extra[:3]}" if extra else "",
                 f"shape mismatch {bad[:3]}" if bad else ""]
        raise ModelFileError(f"{where}: weights do not fit this model ({'; '.join(p for p in parts if p)})")
    model.load_state_dict(state)


def init_from(model: nn.Module, path: Path, *, task: str | None = None) -> ModelDir:
    """``--init-from DIR``: copy DIR's weights into ``model`` (the optimizer starts fresh)."""
    md = load_model_dir(path, task=task)
    load_state_into(model, md.state_dict, md.path)
    return md
