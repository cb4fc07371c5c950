"""User files for many-to-one tasks.

- ``.tsv``: one example per line, ``text<TAB>label`` (a number for regression);
- ``.csv``: one univariate series per line, ``label,v1,v2,…`` (UCR layout; empty cells end a
  shorter series; an optional header line starting with ``label`` is skipped);
- ``.ts``: the UCR/UEA ``.ts`` format (uni- or multivariate, variable length), read by aeon.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from rnnkit.errors import DataError, not_utf8


def _label(value: str, regression: bool, where: str):
    if not regression:
        return value.strip()
    try:
        v = float(value)
    except ValueError:
        raise DataError(f"{where}: regression target {value!r} is not a number") from None
    if not math.isfinite(v):
        raise DataError(f"{where}: regression target is not finite")
    return v


def read_tsv(path: Path, regression: bool) -> tuple[list[str], list]:
    X, y = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            text, tab, label = line.rstrip("\n").rpartition("\t")
            if not tab or not text.strip():
                raise DataError(f"{path}:{n}: expected text<TAB>label")
            X.append(text)
            y.append(_label(label, regression, f"{path}:{n}"))
    return X, y


def read_csv(path: Path, regression: bool) -> tuple[list[np.ndarray], list]:
    X, y = [], []
    with open(path, encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.reader(f), 1):
            if not row or (n == 1 and row[0].strip().lower() == "label"):
                continue
            cells = [c.strip() for c in row[1:]]
            while cells and cells[-1] == "":
                cells.pop()
            try:
                values = np.array([float(c) for c in cells], dtype=np.float32)
            except ValueError:
                raise DataError(f"{path}:{n}: non-numeric value in the series") from None
            if len(values) == 0 or not np.all(np.isfinite(values)):
                raise DataError(f"{path}:{n}: empty series or missing (NaN) values")
            X.append(values[:, None])
            y.append(_label(row[0], regression, f"{path}:{n}"))
    return X, y


def read_ts(path: Path, regression: bool) -> tuple[list[np.ndarray], list]:
    from aeon.datasets import load_from_ts_file

    try:
        Xa, ya = load_from_ts_file(str(path))
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: not a readable .ts file ({e})") from None
    X = [np.asarray(x, dtype=np.float32).T for x in Xa]  # each (T, D)
    bad = next((n for n, x in enumerate(X, 1) if not np.all(np.isfinite(x))), None)
    if bad is not None:
        raise DataError(f"{path}: series {bad} has missing (NaN or ?) values; fill or drop them first")
    return X, [_label(str(v), regression, str(path)) for v in ya]


def read_examples(path: str | Path, regression: bool) -> tuple[list, np.ndarray, str]:
    """(inputs, targets, "text" | "values") from a .tsv, .csv or .ts file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"file not found: {path}")
    readers = {".tsv": (read_tsv, "text"), ".csv": (read_csv, "values"), ".ts": (read_ts, "values")}
    suffix = path.suffix.lower()
    if suffix not in readers:
        raise DataError(f"{path}: unknown format {suffix!r}; use .tsv (text<TAB>label), .csv or .ts")
    read, kind = readers[suffix]
    try:
        X, y = read(path, regression)
    except UnicodeDecodeError as e:
        raise not_utf8(path, e) from None
    if not X:
        raise DataError(f"{path}: no examples found")
    return X, np.array(y, dtype=float if regression else object), kind
