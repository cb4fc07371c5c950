"""Run the tour's sections in order and write ``report.md`` and ``report.html``."""

from __future__ import annotations

import html
import importlib
import logging
import time
from pathlib import Path

from rnnkit import atomic
from rnnkit.cli.common import format_table
from rnnkit.errors import DatasetUnavailable
from rnnkit.tour.base import SectionResult, TourContext

log = logging.getLogger(__name__)

# (name, module): each module defines TITLE and run(ctx) -> SectionResult.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("layers", "rnnkit.tour.layers"),
    ("classification", "rnnkit.tour.classification"),
    ("tagging", "rnnkit.tour.tagging"),
    ("forecast", "rnnkit.tour.forecast"),
    ("generation", "rnnkit.tour.generation"),
)


def run_tour(ctx: TourContext, only: tuple[str, ...] = (), echo=print) -> list[SectionResult]:
    """Run the selected sections (all by default); ``echo`` receives printable text."""
    names = [n for n, _ in SECTIONS]
    unknown = [o for o in only if o not in names]
    if unknown:
        from rnnkit.errors import ConfigError
        raise ConfigError(f"unknown tour section(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    results = []
    for name, module in SECTIONS:
        if only and name not in only:
            continue
        mod = importlib.import_module(module)
        echo(f"\n== {mod.TITLE} ==")
        t0 = time.perf_counter()
        try:
            res = mod.run(ctx)
        except DatasetUnavailable as e:
            res = SectionResult(title=mod.TITLE, rows=[], notes=[f"skipped: {e}"])
        res = SectionResult(res.title, res.rows, res.files, res.notes, time.perf_counter() - t0)
        echo(format_table(res.rows) if res.rows else "(no table)")
        for note in res.notes:
            echo(f"  note: {note}")
        for f in res.files:
            echo(f"  wrote {f}")
        results.append(res)
    write_report(ctx.out, results)
    echo(f"\nreport: {ctx.out / 'report.html'}")
    return results


def write_report(out: Path, results: list[SectionResult]) -> None:
    """A Markdown and a self-contained-ish HTML report (images linked relatively)."""
    md = ["# rnnkit tour", ""]
    body = ["<h1>rnnkit tour</h1>"]
    for r in results:
        md += [f"## {r.title}", "", f"({r.seconds:.1f} s)", "", "```", format_table(r.rows), "```"]
        body += [f"<h2>{html.escape(r.title)}</h2>", f"<p>{r.seconds:.1f} s</p>",
                 f"<pre>{html.escape(format_table(r.rows))}</pre>"]
        for n in r.notes:
            md.append(f"- {n}")
            body.append(f"<p><em>{html.escape(n)}</em></p>")
        for f in r.files:
            rel = Path(f).resolve().relative_to(out.resolve()) if Path(f).resolve().is_relative_to(out.resolve()) else Path(f)
            if str(f).endswith(".png"):
                md.append(f"![{rel}]({rel})")
                body.append(f'<img src="{html.escape(str(rel))}" style="max-width:800px">')
            else:
                md.append(f"- [{rel}]({rel})")
                body.append(f'<p><a href="{html.escape(str(rel))}">{html.escape(str(rel))}</a></p>')
        md.append("")
    atomic.write_text(out / "report.md", "\n".join(md))
    atomic.write_text(out / "report.html", "<!doctype html><meta charset=utf-8><title>rnnkit tour</title>\n"
                      + "\n".join(body))
