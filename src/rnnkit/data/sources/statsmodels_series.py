"""Built-in series from statsmodels' bundled datasets (no download)."""

from __future__ import annotations

import numpy as np

from rnnkit.data.registry import DatasetInfo, register


def _series(name: str, y, period: int, cov=None, cov_names=()):
    from rnnkit.tasks.forecast.data import Series, fill_missing

    y = fill_missing(np.asarray(y, dtype=np.float64), name)
    return Series(name, y, cov, tuple(cov_names), period)


def load_statsmodels(name: str):
    import statsmodels.api as sm

    d = sm.datasets
    if name == "sunspots":
        return _series(name, d.sunspots.load_pandas().data["SUNACTIVITY"], 11)
    if name == "nile":
        return _series(name, d.nile.load_pandas().data["volume"], 1)
    if name == "co2":  # weekly Mauna Loa, 59 missing weeks interpolated
        return _series(name, d.co2.load_pandas().data["co2"], 52)
    df = d.macrodata.load_pandas().data
    cols = ("realcons", "realinv", "unemp", "infl")
    return _series("macrodata", df["realgdp"], 4, df[list(cols)].to_numpy(np.float64), cols)


for _n, _desc, _det in (
    ("sunspots", "yearly sunspot numbers 1700–2008", "309 yearly points"),
    ("nile", "Nile river flow at Aswan 1871–1970", "100 yearly points"),
    ("co2", "Mauna Loa CO2, weekly, with missing weeks", "2,284 weekly points, 59 missing"),
    ("macrodata", "US macro: realgdp with 4 covariates", "203 quarterly points × 5"),
):
    register(DatasetInfo(_n, "series", _desc, "statsmodels", (lambda n=_n: load_statsmodels(n)),
                         ("statsmodels",), _det))
