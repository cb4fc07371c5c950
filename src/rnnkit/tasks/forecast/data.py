"""Series and user CSV: a target (T,), optional covariates (T, C), a seasonal period.

CSV handling (documented, never a silent NaN): non-numeric cells → DataError naming the column
and row; an unsorted time column is sorted (logged); duplicate timestamps → DataError; interior
missing values are linearly interpolated (count logged); leading/trailing missing rows are
dropped; irregular spacing is treated as consecutive steps (logged as a warning).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnkit.errors import DataError, not_utf8

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Series:
    """A univariate target y (T,) with optional covariates (T, C) and seasonal ``period``."""

    name: str
    y: np.ndarray
    covariates: np.ndarray | None = None
    covariate_names: tuple[str, ...] = ()
    period: int = 1
    index: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.y.ndim != 1 or len(self.y) < 3:
            raise DataError(f"series {self.name!r} needs at least 3 points")
        if self.covariates is not None and self.covariates.shape[0] != len(self.y):
            raise DataError("covariates must have one row per target point")

    def head(self, n: int) -> Series:
        cov = None if self.covariates is None else self.covariates[:n]
        return Series(self.name, self.y[:n], cov, self.covariate_names, self.period, self.index[:n])


def fill_missing(values: np.ndarray, what: str) -> np.ndarray:
    """Interpolate interior NaNs linearly (per column); leading/trailing NaNs must be cut before."""
    v = np.asarray(values, dtype=np.float64).copy()
    cols = v.reshape(len(v), -1)
    for j in range(cols.shape[1]):
        c = cols[:, j]
        bad = np.isnan(c)
        if bad.all():
            raise DataError(f"{what}: every value is missing")
        if bad.any():
            log.info("%s: %d missing value(s) interpolated linearly", what, int(bad.sum()))
            idx = np.arange(len(c))
            c[bad] = np.interp(idx[bad], idx[~bad], c[~bad])
    return cols.reshape(v.shape)


def _numeric(df, col: str) -> np.ndarray:
    import pandas as pd

    if col not in df.columns:
        raise DataError(f"column {col!r} not in the CSV (columns: {', '.join(map(str, df.columns))})")
    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce")
    bad = num.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"column {col!r}: non-numeric cell {raw.iloc[row]!r} at data row {row + 1}")
    return num.to_numpy(dtype=np.float64)


def _period_of(times) -> int:
    import pandas as pd

    freq = pd.infer_freq(times) if len(times) >= 3 else None
    if freq is None:
        log.warning("irregular timestamps: points are treated as consecutive steps")
        return 1
    f = freq.upper()
    table = (("QS", 4), ("Q", 4), ("MS", 12), ("ME", 12), ("M", 12), ("W", 52), ("D", 7), ("B", 5), ("H", 24))
    return next((p for k, p in table if f.startswith(k)), 1)


def _read_frame(path: Path):
    """The CSV as a table of strings; a malformed or undecodable file is one DataError line."""
    import pandas as pd

    if not path.is_file():
        raise DataError(f"--csv {path}: no such file")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=True)
    except UnicodeDecodeError as e:
        raise not_utf8(f"--csv {path}", e) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        reason = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        raise DataError(f"--csv {path}: not a readable CSV ({reason})") from None


def read_csv(path: Path, target: str, time: str | None = None, covariates: tuple[str, ...] = ()) -> Series:
    """Read ``target`` (and ``covariates``) from a CSV, sorted by ``time`` when given."""
    import pandas as pd

    df = _read_frame(Path(path))
    period, index = 1, tuple(str(i) for i in range(len(df)))
    if time is not None:
        if time not in df.columns:
            raise DataError(f"time column {time!r} not in the CSV")
        t = pd.to_datetime(df[time], errors="coerce")
        if t.isna().any():
            row = int(np.flatnonzero(t.isna().to_numpy())[0])
            raise DataError(f"time column {time!r}: unreadable timestamp {df[time].iloc[row]!r} at data row {row + 1}")
        if t.duplicated().any():
            raise DataError(f"time column {time!r}: duplicate timestamp {t[t.duplicated()].iloc[0]}")
        if not t.is_monotonic_increasing:
            log.info("rows sorted by %s", time)
            order = np.argsort(t.to_numpy(), kind="stable")
            df, t = df.iloc[order].reset_index(drop=True), t.iloc[order].reset_index(drop=True)
        period, index = _period_of(pd.DatetimeIndex(t)), tuple(str(x.date()) for x in t)
    y = _numeric(df, target)
    cov = np.stack([_numeric(df, c) for c in covariates], axis=1) if covariates else None
    ok = ~np.isnan(y) if cov is None else ~(np.isnan(y) | np.isnan(cov).any(axis=1))
    first, last = int(np.argmax(ok)), len(ok) - int(np.argmax(ok[::-1]))
    if not ok.any():
        raise DataError(f"column {target!r}: every value is missing")
    y = fill_missing(y[first:last], f"column {target!r}")
    cov = None if cov is None else fill_missing(cov[first:last], "covariates")
    return Series(Path(path).stem, y, cov, tuple(covariates), period, index[first:last])
