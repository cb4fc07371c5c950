"""``rnnkit datasets list [--kind KIND]``: the built-in datasets and whether each is available."""

from __future__ import annotations

import argparse

from rnnkit.cli.common import print_table
from rnnkit.data import registry


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("datasets", help="list built-in datasets")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    ls = actions.add_parser("list", help="list datasets with size, frequency and source")
    ls.add_argument("--kind", help="only datasets of this kind (series, text, ...)")
    ls.set_defaults(func=_list)


def _list(args: argparse.Namespace) -> int:
    rows = []
    for d in registry.datasets(args.kind):
        missing = registry.missing_requirements(d)
        rows.append({
            "name": d.name, "kind": d.kind, "details": d.details, "source": d.source,
            "available": "yes" if not missing else "no (pip install " + " ".join(missing) + ")",
        })
    if not rows:
        print("no datasets" + (f" of kind {args.kind!r}" if args.kind else ""))
        return 0
    print_table(rows)
    return 0
