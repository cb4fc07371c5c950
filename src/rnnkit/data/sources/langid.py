"""Language identification of short UI strings in en, ru, uk and be, from LibreOffice's gettext
catalogs (Debian ``libreoffice-l10n-*``; ``make data``).

Each catalog maps an English ``msgid`` to its translation. Every distinct English message
becomes one ``en`` example and each of its translations one example of its language. The split
is by message: all versions of a message fall on the same side, so a test string is never a
translation of a training string. Strings are cleaned of ``~`` accelerators and trimmed;
only short strings are kept (3 to 80 characters: the task is identifying the language of a
short string, and 89% of the catalog entries are that short); identical copies are dropped.
"""

from __future__ import annotations

import gettext
import hashlib

import numpy as np

from rnnkit.data.registry import DatasetInfo, register
from rnnkit.data.sequences import SequenceSet, SequenceTask
from rnnkit.data.sources.debian import require

LANGS = ("be", "en", "ru", "uk")
MAX_CHARS = 80


def _clean(s: str) -> str:
    return " ".join(s.replace("~", "").replace("_", "").split())


def _catalog_pairs(lang: str) -> dict[str, str]:
    folder = require(f"usr/lib/libreoffice/program/resource/{lang}/LC_MESSAGES", f"LibreOffice {lang} catalogs")
    pairs: dict[str, str] = {}
    for mo in sorted(folder.glob("*.mo")):
        with open(mo, "rb") as f:
            cat = gettext.GNUTranslations(f)
        for msgid, msgstr in cat._catalog.items():  # noqa: SLF001 - the parsed .mo table
            if isinstance(msgid, str) and msgid and isinstance(msgstr, str):
                src, dst = _clean(msgid.split("\x04")[-1]), _clean(msgstr)
                if 3 <= len(src) <= MAX_CHARS and 3 <= len(dst) <= MAX_CHARS and dst != src:
                    pairs.setdefault(src, dst)
    return pairs


def load_langid(test_fraction: float = 0.2) -> SequenceTask:
    by_lang = {lang: _catalog_pairs(lang) for lang in ("be", "ru", "uk")}
    messages = sorted(set().union(*by_lang.values()))
    X, y, side = [], [], []
    seen: set[tuple[str, int]] = set()
    for msg in messages:
        test = int(hashlib.sha1(msg.encode()).hexdigest(), 16) % 1000 < test_fraction * 1000
        versions = [(msg, LANGS.index("en"))] + [(by_lang[lang][msg], LANGS.index(lang))
                                                for lang in ("be", "ru", "uk") if msg in by_lang[lang]]
        for text, label in versions:
            if (text, label) not in seen:
                seen.add((text, label))
                X.append(text)
                y.append(label)
                side.append(test)
    side_arr, y_arr = np.array(side, dtype=bool), np.array(y)
    pick = lambda m: SequenceSet([x for x, s in zip(X, m, strict=True) if s], y_arr[m])  # noqa: E731
    return SequenceTask("langid", "classification", "text", pick(~side_arr), pick(side_arr), list(LANGS))


register(DatasetInfo("langid", "classification", "language ID: en/ru/uk/be UI strings",
                     "Debian libreoffice-l10n-{ru,uk,be} (make data)", load_langid,
                     details="≈54k strings of 3–80 characters, split by message"))
