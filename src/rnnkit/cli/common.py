"""Flags and output helpers shared by every task command.

Common ``train`` flags: ``--config FILE.toml``, ``--out DIR``, ``--resume DIR``,
``--init-from DIR``, ``--json PATH`` plus one flag per config field (which include
``--seed --device --epochs --max-steps --quiet`` from :class:`rnnkit.training.TrainConfig`).
``evaluate``/``predict`` take ``--model DIR``.

A task's ``train`` command does its plumbing with three calls::

    setup = start_train(args, TaskConfig)          # config (flags > TOML > saved run), seeds
    model = build_model(setup.config)
    apply_init_from(model, args, task="lm")        # --init-from DIR: same weights, new optimizer
    res = fit(model, step, batches, setup.config.train, out=setup.out, resume=setup.resume,
              run_config=config_to_dict(setup.config), ...)
    finish_train(setup, task="lm", model=model, metrics={...}, files={...})   # rank 0 writes

Under ``torchrun`` every rank runs the command; only rank 0 (``is_main_process()``) writes the
model directory and ``--json`` and should print.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from torch import nn

from rnnkit import atomic
from rnnkit.config import add_config_flags, build_config, config_to_dict, read_toml
from rnnkit.errors import ConfigError, ModelFileError
from rnnkit.training.checkpoint import init_from, save_model_dir
from rnnkit.training.distributed import is_main_process
from rnnkit.training.resume import checkpoint_config
from rnnkit.training.rng import seed_everything

T = TypeVar("T")


def add_train_flags(parser: argparse.ArgumentParser, config_cls: type, *,
                    defaults: dict[str, Any] | None = None) -> None:
    """Add the common train flags and one flag per field of ``config_cls`` (``defaults``: the
    command's own defaults where they differ from the config's, for the help text)."""
    g = parser.add_argument_group("run")
    g.add_argument("--config", type=Path, help="TOML file with the task config (flags override it)")
    g.add_argument("--out", type=Path, help="model directory to write")
    g.add_argument("--resume", type=Path, help="continue an interrupted run exactly from DIR")
    g.add_argument("--init-from", type=Path, help="start from DIR's weights, new optimizer")
    g.add_argument("--json", type=Path, help="write final metrics as a flat JSON object")
    add_config_flags(parser.add_argument_group("config"), config_cls, defaults=defaults)


def add_model_flags(parser: argparse.ArgumentParser, *, json: bool = True) -> None:
    """Flags for evaluate/predict: ``--model DIR`` (required), ``--device``, ``--json``."""
    parser.add_argument("--model", type=Path, required=True, help="trained model directory")
    parser.add_argument("--device", default="auto", help="auto|cpu|cuda (default auto)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    if json:
        parser.add_argument("--json", type=Path, help="write metrics as a flat JSON object")


def config_from_args(config_cls: type[T], args: argparse.Namespace) -> T:
    """Defaults < ``--config`` TOML < explicit flags → a frozen ``config_cls``.

    With ``--resume DIR`` the config saved in DIR's checkpoint replaces the defaults and the
    TOML (the run continues with its own settings); explicit flags still override it, e.g.
    ``--epochs`` to extend a finished run.
    """
    resume = getattr(args, "resume", None)
    saved = _resume_config(resume) if resume is not None else None
    if saved is not None:
        return build_config(config_cls, toml=saved, flags=args)
    toml = read_toml(args.config) if getattr(args, "config", None) else None
    return build_config(config_cls, toml=toml, flags=args)


def _resume_config(path: Path) -> dict[str, Any] | None:
    if not Path(path).is_dir():
        raise ModelFileError(f"--resume {path}: no such directory")
    return checkpoint_config(path)


@dataclass(frozen=True)
class TrainSetup(Generic[T]):
    """What :func:`start_train` resolved: the config, where to write, what to resume."""

    config: T
    out: Path | None
    resume: Path | None
    json: Path | None
    started: float = field(default_factory=time.perf_counter)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


def start_train(args: argparse.Namespace, config_cls: type[T]) -> TrainSetup[T]:
    """Common ``train`` plumbing: build the config, check flag combinations, seed everything.

    ``--resume DIR`` without ``--out`` writes back into DIR. The config must have a ``train``
    field (a :class:`~rnnkit.training.TrainConfig`), whose ``seed`` seeds torch, numpy and
    ``random`` before the task builds its model, so initial weights are reproducible.
    """
    resume, init = getattr(args, "resume", None), getattr(args, "init_from", None)
    if resume is not None and init is not None:
        raise ConfigError("--resume and --init-from exclude each other (resume restores everything)")
    cfg = config_from_args(config_cls, args)
    seed_everything(cfg.train.seed)  # type: ignore[attr-defined]
    out, json = getattr(args, "out", None) or resume, getattr(args, "json", None)
    check_output_paths(out=out, json=json)
    return TrainSetup(config=cfg, out=out, resume=resume, json=json)


def check_output_paths(*, out: Path | None, json: Path | None) -> None:
    """Refuse before any work an ``--out`` that is a file or a ``--json`` that is a directory."""
    if out is not None:
        existing = next(p for p in (Path(out), *Path(out).absolute().parents) if p.exists())
        if not existing.is_dir():
            where = "exists and is not a directory" if existing == Path(out) else f"{existing} is not a directory"
            raise ConfigError(f"--out {out}: {where}")
    if json is not None and Path(json).is_dir():
        raise ConfigError(f"--json {json}: is a directory")


def apply_init_from(model: nn.Module, args: argparse.Namespace, *, task: str) -> None:
    """``--init-from DIR``: load DIR's weights (a ``task`` model) into ``model``."""
    if getattr(args, "init_from", None) is not None:
        init_from(model, args.init_from, task=task)


def finish_train(setup: TrainSetup[Any], *, task: str, model: nn.Module, metrics: dict[str, float],
                 files: dict[str, str | bytes] | None = None) -> None:
    """On rank 0: write the model directory (if ``--out``) and ``--json`` (metrics + seconds)."""
    if not is_main_process():
        return
    if setup.out is not None:
        save_model_dir(setup.out, task=task, config=config_to_dict(setup.config), state_dict=model.state_dict(),
                       files=files, metrics=metrics)
    write_metrics_json(setup.json, metrics, setup.seconds)


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
    numeric = [all(isinstance(r.get(c), (int, float)) or r.get(c) is None for r in rows) for c in cols]
    body = ["  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(row, widths, numeric, strict=True))
            for row in cells]
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
