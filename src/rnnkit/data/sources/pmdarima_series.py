"""Built-in series from pmdarima's bundled datasets (no download)."""

from __future__ import annotations

from rnnkit.data.registry import DatasetInfo, register

_SERIES = {  # name: (pmdarima loader, period, description, details)
    "airline": ("load_airpassengers", 12, "monthly airline passengers 1949–1960", "144 monthly points"),
    "lynx": ("load_lynx", 10, "Canadian lynx trappings 1821–1934", "114 yearly points"),
    "wineind": ("load_wineind", 12, "Australian wine sales 1980–1994", "176 monthly points"),
    "taylor": ("load_taylor", 48, "Taylor electricity demand, half-hourly", "4,032 half-hourly points"),
    "sunspots-monthly": ("load_sunspots", 132, "monthly sunspot numbers 1749–1983", "2,820 monthly points"),
}


def load_pmdarima(name: str):
    import numpy as np
    import pmdarima.datasets as pd_

    from rnnkit.tasks.forecast.data import Series, fill_missing

    fn, period, *_ = _SERIES[name]
    y = np.asarray(getattr(pd_, fn)(), dtype=np.float64).ravel()
    return Series(name, fill_missing(y, name), None, (), period)


for _n, (_fn, _p, _desc, _det) in _SERIES.items():
    register(DatasetInfo(_n, "series", _desc, "pmdarima", (lambda n=_n: load_pmdarima(n)), ("pmdarima",), _det))
