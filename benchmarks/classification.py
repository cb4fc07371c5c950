"""Sequence classification against classical baselines, in one run.

- UCR/UEA sets (aeon): rnnkit's many-to-one model (median test accuracy over 3 seeds) beside
  1-NN with Euclidean distance and 1-NN with DTW (aeon's KNeighborsTimeSeriesClassifier).
- Language ID (en/ru/uk/be, LibreOffice catalogs; `make data`): rnnkit's char GRU beside a
  character 1–3-gram TF-IDF logistic regression (scikit-learn).
- Digits pixel by pixel (64 × 1) and Fashion-MNIST row by row (28 × 28).

Every rnnkit figure is the median test accuracy over ``--seeds`` seeds (0, 1, …), each listed.

    python benchmarks/classification.py [--only ucr,langid,digits,fashion] [--seeds 3] [--json PATH]

The per-dataset settings below are the ones reported in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from dataclasses import replace

from rnnkit.data import registry
from rnnkit.errors import DatasetUnavailable
from rnnkit.tasks.classify import ClassifyConfig, train

UCR = {  # dataset → (model settings, train settings)
    "GunPoint": ({"bidirectional": True}, {"epochs": 200}),
    "ArrowHead": ({"bidirectional": True, "chunk": 16, "pool": "max"}, {"epochs": 200}),
    "ItalyPowerDemand": ({}, {"epochs": 100}),
    "OSULeaf": ({"bidirectional": True, "chunk": 16, "pool": "max"}, {"epochs": 200}),
    "BasicMotions": ({}, {"epochs": 150}),
    "JapaneseVowels": ({"bidirectional": True, "normalize": "global"}, {"epochs": 60}),
}
DTW_REFERENCE = {"GunPoint": .907, "ArrowHead": .703, "ItalyPowerDemand": .950, "OSULeaf": .591,
                 "BasicMotions": .975, "JapaneseVowels": .949}
OTHER = {
    "langid": ({"hidden": 128, "embed_dim": 32, "bidirectional": True}, {"epochs": 3, "batch_size": 64}),
    "digits-pixels": ({"hidden": 128, "cell": "gru", "pool": "last"}, {"epochs": 40}),
    "fashion-mnist-rows": ({"hidden": 128, "bidirectional": True}, {"epochs": 5, "batch_size": 128}),
}


def rnnkit_accuracy(name: str, task, model_kw: dict, train_kw: dict, seed: int) -> tuple[float, float]:
    cfg = ClassifyConfig(dataset=name, **model_kw)
    cfg = replace(cfg, train=replace(cfg.train, quiet=True, seed=seed, **train_kw))
    t0 = time.perf_counter()
    model = train(cfg, task)
    return model.evaluate(task.test)["accuracy"], time.perf_counter() - t0


def one_nn(name: str, distance: str) -> float:
    from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier
    from aeon.datasets import load_classification

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Xtr, ytr = load_classification(name, split="train")
        Xte, yte = load_classification(name, split="test")
        clf = KNeighborsTimeSeriesClassifier(n_neighbors=1, distance=distance).fit(Xtr, ytr)
        return float((clf.predict(Xte) == yte).mean())


def ngram_baseline() -> float:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    task = registry.load("langid")
    clf = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=2),
                        LogisticRegression(max_iter=2000))
    clf.fit(task.train.X, task.train.y)
    return float((clf.predict(task.test.X) == task.test.y).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="ucr,langid,digits,fashion")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    parts, rows = args.only.split(","), []
    if "ucr" in parts:
        for name, (mkw, tkw) in UCR.items():
            task = registry.load(name)  # once for all seeds
            runs = [rnnkit_accuracy(name, task, mkw, tkw, s) for s in range(args.seeds)]
            acc = statistics.median(a for a, _ in runs)
            ed, dtw = one_nn(name, "euclidean"), one_nn(name, "dtw")
            rows.append({"dataset": name, "rnnkit": acc, "1nn_euclid": ed, "1nn_dtw": dtw,
                         "beats_dtw": acc > dtw, "fit_s": statistics.median(s for _, s in runs),
                         "seeds": [round(a, 4) for a, _ in runs]})
            print(rows[-1], flush=True)
    for part, name in (("langid", "langid"), ("digits", "digits-pixels"), ("fashion", "fashion-mnist-rows")):
        if part not in parts:
            continue
        try:
            task = registry.load(name)
            runs = [rnnkit_accuracy(name, task, *OTHER[name], seed=s) for s in range(args.seeds)]
        except DatasetUnavailable as e:
            print(f"{name}: skipped ({e})")
            continue
        row = {"dataset": name, "rnnkit": statistics.median(a for a, _ in runs),
               "fit_s": statistics.median(s for _, s in runs), "seeds": [round(a, 4) for a, _ in runs]}
        if name == "langid":
            row["ngram_logreg"] = ngram_baseline()
        rows.append(row)
        print(row, flush=True)
    if args.json:
        from rnnkit.atomic import write_json
        write_json(args.json, {"rows": rows})


if __name__ == "__main__":
    main()
