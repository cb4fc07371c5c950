"""``rnnkit`` command line: ``rnnkit <task> train|evaluate|predict [flags]``, ``tour``, ``datasets``.

Each command lives in its own module under ``rnnkit.cli`` and exposes
``register(subparsers)``. User errors (``RnnkitError``) print one line and exit with code 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from rnnkit.allocator import configure_from_env
from rnnkit.errors import RnnkitError

# One line per command module; each module defines register(subparsers).
COMMAND_MODULES = (
    "rnnkit.cli.tour",
    "rnnkit.cli.datasets",
    "rnnkit.cli.tag",
    "rnnkit.cli.classify",
    "rnnkit.cli.forecast",
    "rnnkit.cli.lm",
)


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error and exit code 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def _version() -> str:
    import torch

    from rnnkit import __version__

    return f"rnnkit {__version__} (torch {torch.__version__}, Python {sys.version.split()[0]})"


def build_parser() -> Parser:
    parser = Parser(prog="rnnkit", description="Recurrent sequence modelling from the lecture "
                    "equations: rnnkit <task> train|evaluate|predict, rnnkit tour, rnnkit datasets list.")
    parser.add_argument("--log-level", default="WARNING", help="logging level (default WARNING)")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    configure_from_env()  # recycle freed buffers (glibc); RNNKIT_MALLOC=default turns it off
    try:
        return int(args.func(args) or 0)
    except RnnkitError as e:
        sys.stderr.write(f"rnnkit: error: {e}\n")
        return 2
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, FileExistsError, PermissionError) as e:
        sys.stderr.write(f"rnnkit: error: {e.strerror}: {e.filename}\n")
        return 2
    except UnicodeDecodeError as e:  # a reader without its own check: still one line
        sys.stderr.write(f"rnnkit: error: an input file is not UTF-8 text (byte {e.start}: {e.reason})\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("rnnkit: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
