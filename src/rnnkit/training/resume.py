"""Training checkpoints in ``OUT/checkpoint/`` for exact ``--resume``.

Layout::

    checkpoint/step-00000120.safetensors   the whole training state (one file, see below)
    checkpoint/latest.json                 {"file", "sha256", "step", "format_version"}

A state file is safetensors: tensors (model, optimizer moments, RNG states, carried TBPTT
state, best weights) plus the JSON structure of the state in its header metadata
(:mod:`rnnkit.training.statefile`), so nothing is ever unpickled. Writing is crash-safe at
every instant: the new state file is written atomically under a new name, then
``latest.json`` is atomically switched to it, then older state files are removed. A SIGKILL at
any point leaves ``latest.json`` naming a complete file whose sha256 it records.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from rnnkit import atomic
from rnnkit.errors import ModelFileError
from rnnkit.training.checkpoint import load_weights_bytes, sha256_bytes, tensors_to_bytes
from rnnkit.training.statefile import pack, unpack

log = logging.getLogger(__name__)

CHECKPOINT_DIR = "checkpoint"
STATE_VERSION = 1

__all__ = ["CHECKPOINT_DIR", "checkpoint_dir", "has_checkpoint", "load_checkpoint", "save_checkpoint"]


def checkpoint_dir(path: Path) -> Path:
    """``path`` itself if it is a checkpoint folder, else ``path/checkpoint``."""
    path = Path(path)
    return path if (path / "latest.json").is_file() or path.name == CHECKPOINT_DIR else path / CHECKPOINT_DIR


def has_checkpoint(path: Path) -> bool:
    return (checkpoint_dir(path) / "latest.json").is_file()


def save_checkpoint(path: Path, state: dict[str, Any], *, step: int) -> Path:
    """Write ``state`` (nested dicts/lists of numbers, strings, tensors) as the latest checkpoint."""
    folder = checkpoint_dir(path)
    text, tensors = pack(state)
    data = tensors_to_bytes(tensors, metadata={"state": text, "state_version": str(STATE_VERSION)})
    name = f"step-{step:08d}.safetensors"
    atomic.write_bytes(folder / name, data)
    atomic.write_json(folder / "latest.json", {"file": name, "sha256": sha256_bytes(data), "step": step,
                                               "format_version": STATE_VERSION})
    for old in folder.glob("step-*.safetensors"):
        if old.name != name:
            old.unlink(missing_ok=True)
    return folder / name


def _read_pointer(folder: Path) -> dict[str, Any]:
    try:
        ptr = json.loads((folder / "latest.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelFileError(f"{folder / 'latest.json'}: corrupted checkpoint pointer") from None
    if not isinstance(ptr, dict) or ptr.get("format_version") != STATE_VERSION:
        raise ModelFileError(f"{folder}: unknown checkpoint format {ptr.get('format_version')!r}"
                             if isinstance(ptr, dict) else f"{folder}: malformed latest.json")
    return ptr


def _header_metadata(data: bytes) -> dict[str, str]:
    """The ``__metadata__`` of safetensors bytes (8-byte little-endian length, then JSON)."""
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    return header.get("__metadata__") or {}


def load_checkpoint(path: Path) -> dict[str, Any] | None:
    """The latest checkpoint's state, or ``None`` if ``path`` has none yet."""
    folder = checkpoint_dir(path)
    if not (folder / "latest.json").is_file():
        return None
    ptr = _read_pointer(folder)
    f = folder / str(ptr.get("file"))
    if not f.is_file():
        raise ModelFileError(f"{f}: checkpoint file named by latest.json is missing")
    data = f.read_bytes()
    if sha256_bytes(data) != ptr.get("sha256"):
        raise ModelFileError(f"{f}: sha256 mismatch (checkpoint corrupted or truncated)")
    tensors = load_weights_bytes(data, f)
    meta = _header_metadata(data)
    if "state" not in meta:
        raise ModelFileError(f"{f}: not an rnnkit checkpoint (no state metadata)")
    return unpack(meta["state"], tensors)


def checkpoint_config(path: Path) -> dict[str, Any] | None:
    """The task config stored with the latest checkpoint (``None`` if there is none)."""
    state = load_checkpoint(path)
    return None if state is None else state.get("run_config")
