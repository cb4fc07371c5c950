"""Language-model benchmark: rnnkit against a plain ``torch.nn`` script (``lm_reference.py``).

    .venv/bin/python benchmarks/language_model.py [--only throughput,ptb,char] [--rounds 5]
        [--steps 40] [--epochs 13] [--budget 900] [--amp] [--json PATH]

* ``throughput``: Zaremba et al.'s small Penn Treebank recipe (``configs/zaremba-small.toml``);
  rounds of ``--steps`` SGD steps alternate between ``rnnkit lm train``'s code path (the
  engine: ``api.train`` with ``max_steps``) and the plain script; medians of tokens/s.
* ``ptb``: the full recipe through rnnkit, test perplexity and wall time after every epoch.
* ``char``: Shakespeare characters, 2 × 256 LSTM, BPTT 100, batch 32, Adam 2e-3, clip 5;
  each side trains for ``--budget`` seconds, then validation bpc is measured the same way.

``--amp`` trains rnnkit with mixed precision (``--amp``: bfloat16 matmuls and recurrent
kernels on CPU, float16 on CUDA); the plain script always stays in float32.
"""

from __future__ import annotations

import argparse
import logging
import math
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from lm_reference import TorchLM, evaluate, stream_rows, train_steps  # noqa: E402
from rnnkit import atomic  # noqa: E402
from rnnkit.cli.common import format_table  # noqa: E402
from rnnkit.config import build_config, read_toml  # noqa: E402
from rnnkit.tasks.lm import LMConfig, api  # noqa: E402

RECIPE = Path(__file__).parent.parent / "configs" / "zaremba-small.toml"


def recipe(**train) -> LMConfig:
    cfg = build_config(LMConfig, toml=read_toml(RECIPE))
    return replace(cfg, train=replace(cfg.train, quiet=True, **train))


def throughput(rounds: int, steps: int, amp: bool) -> list[dict]:
    cfg = recipe(max_steps=steps, amp=amp)
    data = api.prepare(cfg, api.corpus_for(cfg, None, None))
    small = api.LMData(data.tokenizer, data.train, data.valid[:800], None)  # validation ~free
    rows_t = stream_rows(data.train, cfg.train.batch_size)
    rk, tt = [], []
    for r in range(rounds + 1):  # round 0 warms up both
        torch.manual_seed(r)
        _, info = api.train(cfg, small)
        ref = TorchLM(len(data.tokenizer), cfg.hidden, cfg.layers)
        opt = torch.optim.SGD(ref.parameters(), lr=cfg.train.lr)
        t0 = time.perf_counter()
        train_steps(ref, opt, rows_t, cfg.bptt, 0, steps)
        t_ref = time.perf_counter() - t0
        if r:
            rk.append(info["tokens_per_second"])
            tt.append(steps * cfg.train.batch_size * cfg.bptt / t_ref)
            print(f"round {r}: rnnkit {rk[-1]:.0f} tok/s, torch.nn {tt[-1]:.0f} tok/s", flush=True)
    a, b = statistics.median(rk), statistics.median(tt)
    return [{"benchmark": "ptb-small throughput" + (" (rnnkit --amp)" if amp else ""), "rnnkit tok/s": round(a), "torch.nn tok/s": round(b),
             "ratio": round(a / b, 3), "rounds": rounds, "steps": steps}]


def ptb(epochs: int, amp: bool) -> list[dict]:
    cfg = recipe(epochs=epochs, amp=amp)
    data = api.prepare(cfg, api.corpus_for(cfg, None, None))
    _, info = api.train(cfg, data, track_test=True)
    rows = [{"epoch": int(h["epoch"]), "lr": h["lr"], "train_ppl": round(math.exp(h["train_loss"]), 2),
             "valid_ppl": round(h["val_perplexity"], 2), "test_ppl": round(h["val_test_perplexity"], 2),
             "minutes": round(h["val_elapsed"] / 60, 2)} for h in info["history"]]
    print(format_table(rows), flush=True)
    return rows


def char(budget: float, amp: bool) -> list[dict]:
    cfg = LMConfig(corpus="shakespeare", unit="char", cell="lstm", layers=2, hidden=256, bptt=100)
    cfg = replace(cfg, train=replace(cfg.train, epochs=1000, max_seconds=budget, quiet=True, restore_best=False,
                                     amp=amp))
    data = api.prepare(cfg, api.corpus_for(cfg, None, None))
    torch.manual_seed(0)
    model, info = api.train(cfg, data)
    rk = api.evaluate_stream(model.net, data.valid, rows=10, bptt=100)["loss"] / math.log(2)
    torch.manual_seed(0)
    ref = TorchLM(len(data.tokenizer), 256, 2, init=None)
    opt = torch.optim.Adam(ref.parameters(), lr=cfg.train.lr)
    rows_t, t0, n, state, start = stream_rows(data.train, 32), time.perf_counter(), 0, None, 0
    while time.perf_counter() - t0 < budget:
        state, start = train_steps(ref, opt, rows_t, 100, start, 10, state)
        n += 10
    ref_tps = n * 32 * 100 / (time.perf_counter() - t0)
    tt = evaluate(ref, data.valid, rows=10, bptt=100) / math.log(2)
    return [{"benchmark": f"shakespeare char, {budget:.0f} s", "side": "rnnkit" + (" --amp" if amp else ""),
             "valid bpc": round(rk, 4),
             "tok/s": round(info["tokens_per_second"])},
            {"benchmark": f"shakespeare char, {budget:.0f} s", "side": "torch.nn", "valid bpc": round(tt, 4),
             "tok/s": round(ref_tps)}]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="throughput,ptb,char")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--epochs", type=int, default=13)
    ap.add_argument("--budget", type=float, default=900.0)
    ap.add_argument("--amp", action="store_true", help="rnnkit side in mixed precision")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    results: dict[str, list[dict]] = {}
    for part in args.only.split(","):
        t0 = time.perf_counter()
        if part == "throughput":
            results[part] = throughput(args.rounds, args.steps, args.amp)
        elif part == "ptb":
            results[part] = ptb(args.epochs, args.amp)
        elif part == "char":
            results[part] = char(args.budget, args.amp)
        else:
            print(f"unknown part {part!r}", file=sys.stderr)
            return 2
        print(f"\n{part} ({time.perf_counter() - t0:.0f} s)\n{format_table(results[part])}", flush=True)
    if args.json:
        atomic.write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
