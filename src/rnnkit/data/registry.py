"""One registry of built-in datasets: name → loader, with a clear error when a source is missing.

Each source module in ``rnnkit.data.sources`` calls :func:`register` at import time. The
registry imports exactly the modules listed in ``SOURCE_MODULES`` (no discovery magic).
A loader returns the task's own data object (a series, a text corpus, a labelled set, ...).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rnnkit.errors import DatasetUnavailable, RnnkitError

SOURCE_MODULES: tuple[str, ...] = (
    "rnnkit.data.sources.aeon_ucr",
    "rnnkit.data.sources.digits",
    "rnnkit.data.sources.langid",
    "rnnkit.data.sources.fashion_mnist",
    "rnnkit.data.sources.number_words",
    "rnnkit.data.sources.statsmodels_series",
    "rnnkit.data.sources.pmdarima_series",
    "rnnkit.data.sources.text_corpora",
)


@dataclass(frozen=True)
class DatasetInfo:
    """A built-in dataset.

    ``kind`` groups datasets by task ("series", "text", "classification", "regression",
    "tagging", ...). ``requires`` names the Python modules the loader imports; ``details``
    is a short human description of size and frequency shown by ``rnnkit datasets list``.
    """

    name: str
    kind: str
    description: str
    source: str
    loader: Callable[[], Any] = field(repr=False)
    requires: tuple[str, ...] = ()
    details: str = ""
    license: str = ""


_REGISTRY: dict[str, DatasetInfo] = {}
_loaded = False


def register(info: DatasetInfo) -> DatasetInfo:
    """Add a dataset; names are unique (case-insensitive)."""
    key = info.name.lower()
    if key in _REGISTRY and _REGISTRY[key] is not info:
        raise RuntimeError(f"dataset {info.name!r} registered twice")
    _REGISTRY[key] = info
    return info


def _ensure_sources() -> None:
    global _loaded
    if not _loaded:
        for mod in SOURCE_MODULES:
            importlib.import_module(mod)
        _loaded = True


def missing_requirements(info: DatasetInfo) -> list[str]:
    """The modules of ``info.requires`` that cannot be imported here."""
    return [m for m in info.requires if importlib.util.find_spec(m) is None]


def datasets(kind: str | None = None) -> list[DatasetInfo]:
    """All registered datasets (of one ``kind`` if given), sorted by kind then name."""
    _ensure_sources()
    items = [d for d in _REGISTRY.values() if kind is None or d.kind == kind]
    return sorted(items, key=lambda d: (d.kind, d.name.lower()))


def get(name: str, kind: str | None = None) -> DatasetInfo:
    """Look up a dataset by name; a one-line error listing the valid names otherwise."""
    _ensure_sources()
    info = _REGISTRY.get(name.lower())
    if info is None or (kind is not None and info.kind != kind):
        names = ", ".join(d.name for d in datasets(kind))
        what = f"{kind} dataset" if kind else "dataset"
        raise RnnkitError(f"unknown {what} {name!r}; choose from: {names}")
    return info


def load(name: str, kind: str | None = None) -> Any:
    """Load a built-in dataset; ``DatasetUnavailable`` names the package to install."""
    info = get(name, kind)
    missing = missing_requirements(info)
    if missing:
        raise DatasetUnavailable(
            f"dataset {info.name!r} needs {', '.join(missing)} (source: {info.source}); "
            f"install it with: pip install {' '.join(missing)}"
        )
    return info.loader()
