"""``rnnkit tour``: run every section on built-in data; tables on stdout, files under runs/."""

from __future__ import annotations

import argparse
from pathlib import Path

from rnnkit.cli.common import check_output_paths
from rnnkit.device import resolve_device
from rnnkit.tour import SECTIONS, TourContext, run_tour


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tour", help="run the guided tour on built-in data")
    p.add_argument("--out", type=Path, default=Path("runs/tour"), help="output folder (runs/tour)")
    p.add_argument("--only", default="", help="comma-separated sections: " + ",".join(n for n, _ in SECTIONS))
    p.add_argument("--quick", action="store_true", help="tiny budgets (smoke test)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    ctx = TourContext(out=args.out, seed=args.seed, device=args.device, quick=args.quick, quiet=args.quiet)
    only = tuple(s for s in args.only.split(",") if s)
    check_output_paths(out=ctx.out, json=None)
    resolve_device(ctx.device)  # an unusable --device fails here, not in the first section
    ctx.out.mkdir(parents=True, exist_ok=True)
    run_tour(ctx, only=only, echo=print)
    return 0
