"""``make bench``: run every benchmark script in turn (``BENCH=name[,name]`` to choose).

Each script prints its table; JSON results go to ``runs/bench/<name>.json``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = ("layers", "hmm", "tagging", "classification", "forecasting", "language_model")


def main() -> int:
    chosen = [b for b in os.environ.get("BENCH", "").split(",") if b] or list(BENCHMARKS)
    unknown = [b for b in chosen if b not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    here, out = Path(__file__).parent, Path("runs/bench")
    out.mkdir(parents=True, exist_ok=True)
    for name in chosen:
        print(f"\n=== {name} ===", flush=True)
        r = subprocess.run([sys.executable, str(here / f"{name}.py"), "--json", str(out / f"{name}.json")])
        if r.returncode:
            return r.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
