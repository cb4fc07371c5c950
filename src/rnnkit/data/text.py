"""Text corpora for language modelling: in-memory strings or files read in chunks.

A :class:`TextCorpus` has train/valid/test parts; each part is a :class:`TextPart`, either a
string (built-in corpora of a few MB) or a file path. ``part.chunks()`` yields pieces of at
most ``CHUNK`` characters that end at a line break, so a multi-GB file is tokenized piece by
piece without ever becoming a list of Python lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rnnkit.errors import DataError, not_utf8

CHUNK = 1 << 20  # characters per chunk

__all__ = ["CHUNK", "TextCorpus", "TextPart"]


@dataclass(frozen=True)
class TextPart:
    """One split of a corpus: ``text`` in memory, or ``path`` to a UTF-8 file."""

    text: str | None = None
    path: Path | None = None

    def chunks(self) -> Iterator[str]:
        if self.text is not None:
            for i in range(0, len(self.text), CHUNK):
                yield self.text[i:i + CHUNK]
            return
        yield from _file_chunks(self.path)  # type: ignore[arg-type]

    def describe(self) -> str:
        return str(self.path) if self.path is not None else f"{len(self.text or '')} characters"


@dataclass(frozen=True)
class TextCorpus:
    """A named corpus with its splits (``valid``/``test`` may be None for user text)."""

    name: str
    train: TextPart
    valid: TextPart | None = None
    test: TextPart | None = None


def _file_chunks(path: Path) -> Iterator[str]:
    """Chunks of about CHUNK characters, each ending at a line break (the last one may not)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    rest = ""
    try:
        with open(path, encoding="utf-8") as f:
            while True:
                block = f.read(CHUNK)
                if not block:
                    break
                block = rest + block
                cut = block.rfind("\n") + 1
                if cut == 0:  # no line break yet: read on (a file without any is cut at 64 chunks)
                    rest = "" if len(block) >= 64 * CHUNK else block
                    if not rest:
                        yield block
                    continue
                rest = block[cut:]
                yield block[:cut]
    except UnicodeDecodeError as e:
        raise not_utf8(path, e) from None
    if rest:
        yield rest
