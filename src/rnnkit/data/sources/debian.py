"""Data from Debian packages, unpacked (never installed) into a cache folder by ``make data``:
LibreOffice l10n gettext catalogs (ru, uk, be) and Fashion-MNIST.

The folder is ``$RNNKIT_DATA`` or ``~/.cache/rnnkit``; ``scripts/fetch_debian_data.sh`` fills it
with ``apt-get download`` + ``dpkg-deb -x``.
"""

from __future__ import annotations

import os
from pathlib import Path

from rnnkit.errors import DatasetUnavailable

PACKAGES = ("libreoffice-l10n-ru", "libreoffice-l10n-uk", "libreoffice-l10n-be", "dataset-fashion-mnist")


def data_root() -> Path:
    return Path(os.environ.get("RNNKIT_DATA", Path.home() / ".cache" / "rnnkit")) / "debian"


def require(relative: str, what: str) -> Path:
    """The unpacked path, or a one-line error telling the user how to fetch it."""
    p = data_root() / relative
    if not p.exists():
        raise DatasetUnavailable(f"{what} is not unpacked under {data_root()}; run `make data` "
                                 f"(apt-get download {' '.join(PACKAGES)} + dpkg-deb -x)")
    return p
