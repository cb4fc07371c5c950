"""Readers for tagged sentences: CoNLL-U (via the ``conllu`` package, ``.gz`` too), ``word/TAG``
lines, and plain text (one sentence per line, tokens separated by spaces)."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path
from typing import NamedTuple

from rnnkit.errors import DataError, not_utf8


class Sentence(NamedTuple):
    """Tokens and their tags (``tags`` is empty for untagged input)."""

    words: list[str]
    tags: list[str]


def _open_text(path: Path) -> io.TextIOBase:
    if not path.is_file():
        raise DataError(f"file not found: {path}")
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8")


_GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)  # not gzip, or cut short


def _bad_gzip(path: Path, err: Exception) -> DataError:
    return DataError(f"{path}: not a readable gzip file ({err})")


def _lines(path: Path) -> list[str]:
    """The file's lines (plain or ``.gz``); a file that is not UTF-8 is a DataError."""
    with _open_text(path) as f:
        try:
            return f.readlines()
        except UnicodeDecodeError as e:
            raise not_utf8(path, e) from None
        except _GZIP_ERRORS as e:
            raise _bad_gzip(path, e) from None


def is_conllu(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith((".conllu", ".conll"))


def read_conllu(path: str | Path, column: str = "upos") -> list[Sentence]:
    """Sentences of a CoNLL-U file; ``column`` is ``upos`` or ``xpos``. Multi-word token
    ranges (``1-2``) and empty nodes (``1.1``) are skipped: tags belong to syntactic words."""
    import conllu

    if column not in ("upos", "xpos"):
        raise DataError(f"--column must be upos or xpos, got {column!r}")
    path = Path(path)
    out = []
    with _open_text(path) as f:
        try:
            for tl in conllu.parse_incr(f):
                toks = [t for t in tl if isinstance(t["id"], int)]
                tags = [t[column] for t in toks]
                if any(tag in (None, "_") for tag in tags):
                    raise DataError(f"{path}: sentence {tl.metadata.get('sent_id', len(out) + 1)} "
                                    f"has tokens without a {column.upper()} tag")
                if toks:
                    out.append(Sentence([t["form"] for t in toks], tags))
        except _GZIP_ERRORS as e:
            raise _bad_gzip(path, e) from None
        except (conllu.exceptions.ParseException, ValueError, UnicodeDecodeError) as e:
            if isinstance(e, DataError):
                raise
            raise DataError(f"{path}: not valid CoNLL-U ({e})") from None
    if not out:
        raise DataError(f"{path}: no sentences found")
    return out


def read_word_tag(path: str | Path) -> list[Sentence]:
    """One sentence per line of ``word/TAG`` tokens (the tag is after the last ``/``)."""
    path, out = Path(path), []
    for n, line in enumerate(_lines(path), 1):
        toks = line.split()
        if not toks:
            continue
        pairs = [t.rpartition("/") for t in toks]
        if any(not w or not tag for w, _, tag in pairs):
            raise DataError(f"{path}:{n}: expected word/TAG tokens")
        out.append(Sentence([w for w, _, _ in pairs], [tag for _, _, tag in pairs]))
    if not out:
        raise DataError(f"{path}: no sentences found")
    return out


def read_tagged(path: str | Path, column: str = "upos") -> list[Sentence]:
    """CoNLL-U by extension, otherwise ``word/TAG`` lines."""
    path = Path(path)
    return read_conllu(path, column) if is_conllu(path) else read_word_tag(path)


def read_plain(path: str | Path) -> list[Sentence]:
    """Untagged input: one sentence per line, tokens separated by spaces (or CoNLL-U)."""
    path = Path(path)
    if is_conllu(path):
        return [Sentence(s.words, []) for s in read_conllu(path)]
    out = [Sentence(line.split(), []) for line in _lines(path) if line.strip()]
    if not out:
        raise DataError(f"{path}: no sentences found")
    return out
