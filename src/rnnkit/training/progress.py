"""Progress bars and the metrics log of a run.

:class:`Progress` is a ``tqdm`` bar showing loss, items/s and ETA; it is silent when ``quiet``,
when stderr is not a terminal, or on ranks other than 0. :class:`MetricsLog` keeps every row
(one per ``log_every`` steps and one per epoch) and rewrites ``OUT/metrics.csv`` atomically;
with ``tensorboard=True`` it also writes ``OUT/tensorboard/`` (needs the ``tensorboard``
package, which rnnkit does not depend on).
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from rnnkit import atomic
from rnnkit.errors import ConfigError

__all__ = ["MetricsLog", "Progress", "progress_enabled"]


def progress_enabled(quiet: bool, main: bool = True) -> bool:
    """Show bars only for the main process, not ``quiet``, with stderr on a terminal."""
    return main and not quiet and sys.stderr.isatty()


class Progress:
    """One bar per epoch: ``epoch E/N  loss=… items/s=…  [elapsed<ETA]``."""

    def __init__(self, *, enabled: bool, total: int, epoch: int | None = None, epochs: int | None = None,
                 start: int = 0, desc: str | None = None) -> None:
        desc = desc or f"epoch {epoch}" + (f"/{epochs}" if epochs else "")
        self.bar = tqdm(total=total, initial=start, desc=desc, disable=not enabled, leave=False,
                        dynamic_ncols=True, file=sys.stderr)
        self.items = 0

    def update(self, loss: float, items: int) -> None:
        self.items += items
        rate = self.items / max(self.bar.format_dict.get("elapsed", 0.0), 1e-9)
        self.bar.set_postfix(loss=f"{loss:.4g}", items_s=f"{rate:.4g}", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


class MetricsLog:
    """Rows of metrics (dicts of name → number); ``flush`` rewrites ``metrics.csv``."""

    def __init__(self, out: Path | None, *, tensorboard: bool = False, rows: list[dict[str, Any]] | None = None) -> None:
        self.out, self.rows = out, list(rows or [])
        self.writer = _tensorboard_writer(out) if tensorboard and out is not None else None

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(dict(row))
        if self.writer is not None:
            for k, v in row.items():
                if k not in ("kind", "epoch", "step") and isinstance(v, (int, float)):
                    self.writer.add_scalar(f"{row.get('kind', 'epoch')}/{k}", v, int(row.get("step", 0)))

    def flush(self) -> None:
        if self.out is None:
            return
        cols: list[str] = []
        for r in self.rows:
            cols += [k for k in r if k not in cols]
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(self.rows)
        atomic.write_text(Path(self.out) / "metrics.csv", buf.getvalue())
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        self.flush()
        if self.writer is not None:
            self.writer.close()


def _tensorboard_writer(out: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ConfigError("tensorboard logging needs the tensorboard package "
                          "(pip install -c constraints.txt tensorboard)") from None
    return SummaryWriter(log_dir=str(Path(out) / "tensorboard"))
