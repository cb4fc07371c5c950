"""UD English-EWT UPOS, train → dev: rnnkit's HMM taggers and BiLSTM tagger, with NLTK's HMM
tagger trained on the same data as a reference row.

    python benchmarks/tagging.py [--ud DIR] [--epochs N] [--skip-bilstm] [--json PATH]

Needs the treebank files (default ../shared/data/ud). The BiLSTM row trains with the tagging
task's default config (``rnnkit tag train --model bilstm``), for ``--epochs`` epochs.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from rnnkit.data.conllu_io import read_conllu
from rnnkit.tasks.tag import api
from rnnkit.tasks.tag.config import TagConfig


def nltk_row(train, dev) -> dict:
    from nltk.probability import LidstoneProbDist
    from nltk.tag.hmm import HiddenMarkovModelTrainer

    t0 = time.perf_counter()
    tagger = HiddenMarkovModelTrainer().train_supervised(
        [list(zip(s.words, s.tags, strict=True)) for s in train],
        estimator=lambda fd, bins: LidstoneProbDist(fd, 0.1, bins))
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = [[t for _, t in tagger.tag(s.words)] for s in dev]
    tag_s = time.perf_counter() - t0
    n = sum(len(s.words) for s in dev)
    ok = sum(g == p for s, ps in zip(dev, pred, strict=True) for g, p in zip(s.tags, ps, strict=True))
    return {"model": "nltk HMM (Lidstone 0.1)", "accuracy": ok / n, "unknown_accuracy": float("nan"),
            "fit_s": fit_s, "sentences_per_second": len(dev) / tag_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ud", type=Path, default=Path("../shared/data/ud"))
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--skip-bilstm", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    train = read_conllu(args.ud / "en_ewt-ud-train.conllu.gz")
    dev = read_conllu(args.ud / "en_ewt-ud-dev.conllu.gz")
    rows = []
    configs = [("rnnkit HMM bigram", TagConfig(order=2)), ("rnnkit HMM trigram", TagConfig(order=3))]
    if not args.skip_bilstm:
        cfg = TagConfig(model="bilstm")
        configs.append(("rnnkit BiLSTM", replace(cfg, train=replace(cfg.train, epochs=args.epochs, quiet=True))))
    for name, cfg in configs:
        t0 = time.perf_counter()
        tagger = api.train_hmm(cfg, train) if cfg.model == "hmm" else api.train_bilstm(cfg, train, dev)
        fit_s = time.perf_counter() - t0
        api.evaluate(tagger, dev[:50])  # warm-up (numba compilation) before timing
        metrics, _ = api.evaluate(tagger, dev)
        rows.append({"model": name, **metrics, "fit_s": fit_s})
        print(rows[-1], flush=True)
    rows.append(nltk_row(train, dev))
    print(rows[-1], flush=True)
    print(f"\n{'model':26} {'accuracy':>9} {'unknown':>9} {'fit s':>8} {'sent/s':>9}")
    for r in rows:
        print(f"{r['model']:26} {r['accuracy']:9.4f} {r['unknown_accuracy']:9.4f} {r['fit_s']:8.1f} "
              f"{r['sentences_per_second']:9.0f}")
    if args.json:
        from rnnkit.atomic import write_json
        write_json(args.json, {"rows": rows})


if __name__ == "__main__":
    main()
