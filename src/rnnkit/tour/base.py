"""The tour's section protocol: a context in, a result out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TourContext:
    """Where and how a section runs. ``quick`` shrinks every budget (used by tests)."""

    out: Path
    seed: int = 0
    device: str = "auto"
    quick: bool = False
    quiet: bool = False

    def section_dir(self, name: str) -> Path:
        d = self.out / name
        d.mkdir(parents=True, exist_ok=True)
        return d


@dataclass(frozen=True)
class SectionResult:
    """What a section reports: a table (list of same-keyed dicts), files, notes."""

    title: str
    rows: list[dict[str, Any]]
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
