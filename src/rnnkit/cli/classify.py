"""``rnnkit classify|regress train|evaluate|predict``: many-to-one models over sequences.

    rnnkit classify train --dataset GunPoint --cell lstm --bidirectional --pool attention --out DIR --json m.json
    rnnkit classify train --train train.tsv --test test.tsv --out DIR        (text<TAB>label)
    rnnkit classify evaluate --model DIR [--dataset NAME | --test PATH] --json m.json
    rnnkit classify predict --model DIR --input PATH
    rnnkit regress  train --dataset number-words-en --out DIR                 (same grammar)

``regress`` is ``classify`` with ``--task regression``. Files: ``.tsv`` (text<TAB>label),
``.csv`` (label,v1,v2,… per line), ``.ts`` (UCR/UEA). Built-in sets: ``rnnkit datasets list``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from rnnkit.cli.common import (
    add_model_flags,
    add_train_flags,
    print_table,
    start_train,
    write_metrics_json,
)
from rnnkit.config import was_given
from rnnkit.data import registry
from rnnkit.data.sequences import SequenceSet, SequenceTask, encode_labels
from rnnkit.data.user_sequences import read_examples
from rnnkit.errors import ConfigError, DataError
from rnnkit.tasks.classify import api
from rnnkit.tasks.classify.config import ClassifyConfig
from rnnkit.tasks.classify.metrics import confusion_matrix, plot_confusion
from rnnkit.training.distributed import is_main_process


def register(sub: argparse._SubParsersAction) -> None:
    for name, task in (("classify", "classification"), ("regress", "regression")):
        p = sub.add_parser(name, help=f"many-to-one {task} of sequences", description=__doc__)
        actions = p.add_subparsers(dest="action", metavar="ACTION")
        actions.required = True
        tr = actions.add_parser("train", help="train on a built-in dataset or --train/--test files")
        tr.add_argument("--train", dest="train_path", type=Path, help="training file (.tsv/.csv/.ts)")
        tr.add_argument("--test", dest="test_path", type=Path, help="test file, same format")
        add_train_flags(tr, ClassifyConfig, defaults={"task": task})
        tr.set_defaults(func=_train, default_task=task)
        ev = actions.add_parser("evaluate", help="metrics of a trained model on test data")
        add_model_flags(ev)
        ev.add_argument("--dataset", help="built-in dataset (its test split)")
        ev.add_argument("--test", dest="test_path", type=Path, help="test file")
        ev.set_defaults(func=_evaluate, default_task=task)
        pr = actions.add_parser("predict", help="predict for an input file (labels are ignored)")
        add_model_flags(pr, json=False)
        pr.add_argument("--input", type=Path, required=True)
        pr.set_defaults(func=_predict, default_task=task)


def _user_task(train_path: Path, test_path: Path | None, kind: str) -> SequenceTask:
    reg = kind == "regression"
    Xtr, ytr, inputs = read_examples(train_path, reg)
    if test_path is None:
        raise ConfigError("--train needs --test (the held-out file)")
    Xte, yte, inputs_te = read_examples(test_path, reg)
    if inputs != inputs_te:
        raise DataError("--train and --test must have the same format")
    if reg:
        return SequenceTask(train_path.stem, kind, inputs, SequenceSet(Xtr, ytr), SequenceSet(Xte, yte))
    ytr_i, yte_i, labels = encode_labels(ytr, yte)
    return SequenceTask(train_path.stem, kind, inputs, SequenceSet(Xtr, ytr_i), SequenceSet(Xte, yte_i), labels)


def load_task(cfg: ClassifyConfig, train_path: Path | None, test_path: Path | None) -> SequenceTask:
    if train_path is not None:
        return _user_task(train_path, test_path, cfg.task)
    if cfg.dataset is None:
        raise ConfigError("give --dataset NAME (see `rnnkit datasets list`) or --train/--test files")
    return registry.load(cfg.dataset, cfg.task)


def _train(args: argparse.Namespace) -> int:
    if not was_given(args.task):  # `regress` is `classify --task regression`
        args.task = args.default_task
    setup = start_train(args, ClassifyConfig)
    cfg = setup.config
    task = load_task(cfg, args.train_path, args.test_path)
    init = api.load(args.init_from).net.state_dict() if args.init_from else None
    model = api.train(cfg, task, out=setup.out, resume=setup.resume, init=init)
    metrics = model.evaluate(task.test)
    if is_main_process():
        print_table([{"dataset": task.name, "model": f"{cfg.cell} {cfg.pool}", **metrics,
                      "train": len(task.train.y), "test": len(task.test.y)}])
        if setup.out is not None:
            api.save(setup.out, model, metrics)
            _confusion_png(model, task.test, setup.out / "confusion.png", task.name)
        write_metrics_json(setup.json, metrics, setup.seconds)
    return 0


def _confusion_png(model: api.Trained, test: SequenceSet, path: Path, name: str) -> None:
    if model.regression:
        return
    m = confusion_matrix(np.asarray(test.y), model.predict(test), len(model.labels))
    plot_confusion(m, model.labels, path, f"{name}: confusion (test)")
    print(f"wrote {path}")


def _load_model(args: argparse.Namespace) -> api.Trained:
    """``--model`` DIR, refused if it is the other task (``regress`` on a classifier, say)."""
    model = api.load(args.model, args.device)
    if model.cfg.task != args.default_task:
        command = "regress" if model.regression else "classify"
        raise ConfigError(f"{args.model}: a {model.cfg.task} model; use `rnnkit {command} {args.action}`")
    return model


def _check_inputs(model: api.Trained, inputs: str, where: object) -> None:
    """The model reads text or numeric series; refuse data of the other kind."""
    if inputs != model.inputs:
        kinds = {"text": "text", "values": "numeric series"}
        raise DataError(f"{where} holds {kinds[inputs]}, but the model reads {kinds[model.inputs]}")


def _model_ids(model: api.Trained, names: list[str], where: object) -> np.ndarray:
    """Class names → the model's class ids; names the model never saw are an error."""
    index = {n: i for i, n in enumerate(model.labels)}
    unknown = sorted(set(names) - set(index))
    if unknown:
        raise DataError(f"{where}: labels not known to the model: {', '.join(unknown[:5])}")
    return np.array([index[n] for n in names])


def _test_set(model: api.Trained, args: argparse.Namespace) -> SequenceSet:
    if args.test_path is not None:
        X, y, inputs = read_examples(args.test_path, model.regression)
        _check_inputs(model, inputs, args.test_path)
        return SequenceSet(X, y if model.regression else _model_ids(model, [str(v) for v in y], args.test_path))
    name = args.dataset or model.cfg.dataset
    if name is None:
        raise ConfigError("give --dataset NAME or --test PATH")
    task = registry.load(name, model.cfg.task)
    _check_inputs(model, task.inputs, f"dataset {name!r}")
    if model.regression:
        return task.test
    # the dataset numbers its classes itself: map them to the model's through their names
    names = [task.labels[int(i)] for i in task.test.y]
    return SequenceSet(task.test.X, _model_ids(model, names, f"dataset {name!r}"))


def _evaluate(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    model = _load_model(args)
    metrics = model.evaluate(_test_set(model, args))
    print_table([metrics])
    write_metrics_json(args.json, metrics, time.perf_counter() - t0)
    return 0


def _predict(args: argparse.Namespace) -> int:
    model = _load_model(args)
    X, _, inputs = read_examples(args.input, model.regression)
    _check_inputs(model, inputs, args.input)
    pred = model.predict(SequenceSet(X, np.zeros(len(X))))
    for x, p in zip(X, pred, strict=True):
        shown = x if isinstance(x, str) else f"<series of {len(x)} steps>"
        print(f"{p:.6g}\t{shown}" if model.regression else f"{model.labels[int(p)]}\t{shown}")
    return 0
