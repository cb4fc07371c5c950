"""``rnnkit tour``: the main job. Runs each section on built-in data and writes a report.

A section is a module listed in ``SECTIONS`` with ``TITLE: str`` and
``run(ctx: TourContext) -> SectionResult``. Sections write their files under
``ctx.out / <section name>``. A section whose data source is missing is skipped with a
message; the tour goes on.
"""

from __future__ import annotations

from rnnkit.tour.base import SectionResult, TourContext
from rnnkit.tour.runner import SECTIONS, run_tour

__all__ = ["SECTIONS", "SectionResult", "TourContext", "run_tour"]
