"""Tour section "generation": a character LSTM on Shakespeare, trained briefly, then a sample."""

from __future__ import annotations

import math
from dataclasses import replace

from rnnkit import atomic
from rnnkit.data import registry
from rnnkit.data.text import TextCorpus, TextPart
from rnnkit.tasks.lm import LMConfig, SampleConfig, api, generate
from rnnkit.tasks.lm.plots import plot_curves
from rnnkit.tour.base import SectionResult, TourContext

TITLE = "Text generation (character LSTM on Shakespeare)"

PRIME = "ROMEO:\n"


def run(ctx: TourContext) -> SectionResult:
    cfg = LMConfig(corpus="shakespeare", unit="char", cell="lstm", layers=2, hidden=256, bptt=100)
    steps = 4 if ctx.quick else 600  # about 2 minutes on 2 CPU cores
    cfg = replace(cfg, train=replace(cfg.train, seed=ctx.seed, device=ctx.device, quiet=True, max_steps=steps))
    corpus = registry.load("shakespeare", "text")
    if ctx.quick:  # a slice keeps the quick run to seconds
        corpus = TextCorpus(corpus.name, TextPart(corpus.train.text[:200_000]),
                            TextPart(corpus.valid.text[:20_000]), TextPart(corpus.test.text[:20_000]))
    data = api.prepare(cfg, corpus)
    model, info = api.train(cfg, data)
    scores = {}
    for split, ids in (("valid", data.valid), ("test", data.test)):
        m = api.evaluate_stream(model.net, ids, rows=cfg.eval_batch_size, bptt=cfg.bptt)
        scores[split] = api.stream_metrics(m["loss"], "char")["bpc"]
    ids = generate(model.net, data.tokenizer.encode(PRIME), 300, SampleConfig(temperature=0.8, seed=ctx.seed),
                   banned=data.tokenizer.banned)
    sample = PRIME + data.tokenizer.decode(ids)
    d = ctx.section_dir("generation")
    atomic.write_text(d / "sample.txt", sample)
    files = [d / "sample.txt"]
    if plot_curves(d / "training.png", info["rows"], "char"):
        files.append(d / "training.png")
    rows = [{"model": "2 × 256 LSTM, BPTT 100", "steps": int(info["steps"]),
             "chars/s": round(info["tokens_per_second"]), "valid bpc": round(scores["valid"], 3),
             "test bpc": round(scores["test"], 3), "uniform bpc": round(math.log2(len(data.tokenizer)), 2)}]
    first = sample.splitlines()[:6]
    return SectionResult(TITLE, rows, files, notes=["sample at temperature 0.8: " + " / ".join(first),
                                                   "longer runs: rnnkit lm train --corpus shakespeare "
                                                   "--max-steps 20000 --out runs/shakespeare"])

