"""Flags and output helpers shared by every task command.

Common ``train`` flags: ``--config FILE.toml``, ``--out DIR``, ``--resume DIR``,
``--init-from DIR``, ``--json PATH`` plus one flag per config field (which include
``--seed --device --epochs --max-steps --quiet`` from :class:`rnnkit.training.TrainConfig`).
``evaluate``/``predict`` take ``--model DIR``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any, TypeVar

from rnnkit import atomic
from rnnkit.config import add_config_flags, build_config, read_toml
from rnnkit.errors import ConfigError

T = TypeVar("T")


def add_train_flags(parser: argparse.ArgumentParser, config_cls: type) -> None:
    """Add the common train flags and one flag per field of ``config_cls``."""
    g = parser.add_argument_group("run")
    g.add_argument("--config", type=Path, help="TOML file with the task config (flags override it)")
    g.add_argument("--out", type=Path, help="model directory to write")
    g.add_argument("--resume", type=Path, help="continue an interrupted run exactly from DIR")
    g.add_argument("--init-from", type=Path, help="start from DIR's weights, new optimizer")
    g.add_argument("--json", type=Path, help="write final metrics as a flat JSON object")
    add_config_flags(parser.add_argument_group("config"), config_cls)


def add_model_flags(parser: argparse.ArgumentParser, *, json: bool = True) -> None:
    """Flags for evaluate/predict: ``--model DIR`` (required), ``--device``, ``--json``."""
    parser.add_argument("--model", type=Path, required=True, help="trained model directory")
    parser.add_argument("--device", default="auto", help="auto|cpu|cuda (default auto)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    if json:
        parser.add_argument("--json", type=Path, help="write metrics as a flat JSON object")


def config_from_args(config_cls: type[T], args: argparse.Namespace) -> T:
    """Defaults < ``--config`` TOML < explicit flags → a frozen ``config_cls``."""
    toml = read_toml(args.config) if getattr(args, "config", None) else None
    return build_config(config_cls, toml=toml, flags=args)


def write_metrics_json(path: Path | None, metrics: dict[str, Any], seconds: float) -> None:
    """Write ``--json``: a flat object of name → number, plus ``seconds``."""
    if path is None:
        return
    flat: dict[str, float] = {}
    for k, v in metrics.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ConfigError(f"metric {k!r} is not a number")
        flat[k] = v if math.isfinite(v) else None  # type: ignore[assignment]
    flat["seconds"] = round(seconds, 3)
    atomic.write_json(path, flat)


def format_table(rows: list[dict[str, Any]], *, floatfmt: str = ".4g") -> str:
    """A plain-text table from a list of dicts sharing keys."""
    if not rows:
        return ""
    cols = list(rows[0])
    cells = [[_fmt(r.get(c), floatfmt) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    line = "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))
    sep = "  ".join("-" * w for w in widths)
    body = ["  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join([line, sep, *body])


def _fmt(v: Any, floatfmt: str) -> str:
    if isinstance(v, float):
        return format(v, floatfmt)
    return "" if v is None else str(v)


def print_table(rows: list[dict[str, Any]], *, title: str | None = None) -> None:
    if title:
        print(title)
    print(format_table(rows))
    sys.stdout.flush()
