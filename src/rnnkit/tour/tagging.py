"""Tour section "tagging": HMM against BiLSTM on a built-in sample of UD English-EWT."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources

from rnnkit.data.conllu_io import read_conllu
from rnnkit.tasks.tag import api
from rnnkit.tasks.tag.config import TagConfig
from rnnkit.tour.base import SectionResult, TourContext

TITLE = "Tagging: HMM vs BiLSTM (UD English-EWT sample, UPOS)"


def sample_path(split: str):
    return resources.files("rnnkit.data.samples") / f"en_ewt_sample-{split}.conllu.gz"


def run(ctx: TourContext) -> SectionResult:
    train, dev = read_conllu(sample_path("train")), read_conllu(sample_path("dev"))
    rows = []
    for model in ("hmm", "bilstm"):
        cfg = TagConfig(model=model)
        cfg = replace(cfg, hidden=32, word_dim=32, char_hidden=16,
                      train=replace(cfg.train, seed=ctx.seed, device=ctx.device, quiet=True,
                                    epochs=1 if ctx.quick else 8, max_steps=3 if ctx.quick else None))
        tagger = api.train_hmm(cfg, train) if model == "hmm" else api.train_bilstm(cfg, train, dev)
        metrics, scores = api.evaluate(tagger, dev)
        rows.append({"model": model, "accuracy": metrics["accuracy"],
                     "unknown_accuracy": metrics["unknown_accuracy"],
                     "sentences/s": metrics["sentences_per_second"], "dev tokens": scores.tokens})
    return SectionResult(TITLE, rows, notes=[
        f"trained on {len(train)} sentences, measured on {len(dev)}; the full treebank reaches "
        "higher accuracy (see BENCHMARKS.md: rnnkit tag train --train ... --dev ...)"])
