"""The README's command lines are ones the CLI accepts (docs that match the code)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from rnnkit.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_commands() -> list[str]:
    """Every ``rnnkit …`` line in the README's code blocks, continuation lines joined;
    templates with alternatives (``a|b``, ``[optional]``) and ``--help`` are left out."""
    out = []
    for block in re.findall(r"```\w*\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = re.sub(r"^\.venv/bin/", "", line.split("  #")[0].strip())
            if line.startswith("rnnkit ") and not re.search(r"[|\[]|--help|\.\.\.", line):
                out.append(line)
    return out


def test_the_readme_has_commands_to_check():
    assert len(readme_commands()) >= 10


@pytest.mark.parametrize("line", readme_commands())
def test_readme_command_parses(line):
    args = build_parser().parse_args(shlex.split(line)[1:])
    assert callable(args.func)
