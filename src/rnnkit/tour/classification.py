"""Tour section "classification": many-to-one GRUs on real sequences — a UCR time-series set
(ItalyPowerDemand), handwritten digits read row by row, and numbers written in words (regression)."""

from __future__ import annotations

from dataclasses import replace

from rnnkit.data import registry
from rnnkit.tasks.classify import ClassifyConfig, train
from rnnkit.tour.base import SectionResult, TourContext

TITLE = "Classification and regression of sequences (many-to-one GRU)"

RUNS = (  # dataset, task, settings, epochs (full), the baseline shown beside it
    ("ItalyPowerDemand", "classification", {}, 100, "1-NN DTW .950 (issue #7)"),
    ("digits-rows", "classification", {"hidden": 64}, 15, ""),
    ("number-words-en", "regression", {"hidden": 64, "pool": "last"}, 15, ""),
)


def run(ctx: TourContext) -> SectionResult:
    rows = []
    for name, kind, kw, epochs, reference in RUNS:
        cfg = ClassifyConfig(dataset=name, task=kind, **kw)
        cfg = replace(cfg, train=replace(cfg.train, seed=ctx.seed, device=ctx.device, quiet=True,
                                         epochs=epochs, max_steps=3 if ctx.quick else None))
        task = registry.load(name, kind)
        m = train(cfg, task).evaluate(task.test)
        score = f"accuracy {m['accuracy']:.3f}" if kind == "classification" else f"R² {m['r2']:.3f}"
        rows.append({"dataset": name, "task": kind, "test": score, "train/test": f"{len(task.train.y)}/{len(task.test.y)}",
                     "reference": reference})
    return SectionResult(TITLE, rows, notes=["benchmarks/classification.py compares with 1-NN (Euclidean, DTW) "
                                             "and an n-gram logistic regression"])
