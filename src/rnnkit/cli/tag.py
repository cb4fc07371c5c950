"""``rnnkit tag train|evaluate|predict``: part-of-speech tagging with an HMM or a BiLSTM.

    rnnkit tag train --train PATH --dev PATH --model hmm|bilstm [--column upos|xpos] --out DIR --json m.json
    rnnkit tag evaluate --model DIR --test PATH --json m.json
    rnnkit tag predict --model DIR --input PATH      (one sentence per line, or CoNLL-U)

Training files are CoNLL-U (``.conllu``, ``.conllu.gz``) or ``word/TAG`` lines.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rnnkit.cli.common import (
    add_model_flags,
    add_train_flags,
    print_table,
    start_train,
    write_metrics_json,
)
from rnnkit.data.conllu_io import read_plain, read_tagged
from rnnkit.errors import ConfigError
from rnnkit.tasks.tag import api
from rnnkit.tasks.tag.config import TagConfig
from rnnkit.tasks.tag.evaluate import confusion_rows, per_tag_rows
from rnnkit.training.distributed import is_main_process


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tag", help="part-of-speech tagging (HMM or BiLSTM)", description=__doc__)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    tr = actions.add_parser("train", help="train a tagger and evaluate it on --dev")
    tr.add_argument("--train", dest="train_path", type=Path, required=True, help="training file")
    tr.add_argument("--dev", dest="dev_path", type=Path, help="development file (early stopping, report)")
    add_train_flags(tr, TagConfig)
    tr.set_defaults(func=_train)
    ev = actions.add_parser("evaluate", help="accuracy of a trained tagger on --test")
    add_model_flags(ev)
    ev.add_argument("--test", type=Path, required=True, help="tagged file (CoNLL-U or word/TAG)")
    ev.set_defaults(func=_evaluate)
    pr = actions.add_parser("predict", help="tag sentences (one per line, or CoNLL-U)")
    add_model_flags(pr, json=False)
    pr.add_argument("--input", type=Path, required=True)
    pr.set_defaults(func=_predict)


def _train(args: argparse.Namespace) -> int:
    setup = start_train(args, TagConfig)
    cfg = setup.config
    train = read_tagged(args.train_path, cfg.column)
    dev = read_tagged(args.dev_path, cfg.column) if args.dev_path else None
    if cfg.model == "hmm":
        if args.resume or args.init_from:
            raise ConfigError("--resume/--init-from apply to the bilstm model; the HMM trains in one pass")
        tagger = api.train_hmm(cfg, train)
    else:
        init = api.load(args.init_from)[1].net.state_dict() if args.init_from else None
        tagger = api.train_bilstm(cfg, train, dev, out=setup.out, resume=setup.resume, init=init)
    metrics: dict[str, float] = {}
    if dev:
        metrics, scores = api.evaluate(tagger, dev)
        if is_main_process():
            print_table([{"model": cfg.model, **metrics, "dev tokens": scores.tokens,
                          "unknown tokens": scores.unknown_tokens}], title=f"dev: {args.dev_path}")
    if is_main_process():
        if setup.out is not None:
            api.save(setup.out, cfg, tagger, metrics)
        write_metrics_json(setup.json, metrics, setup.seconds)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    cfg, tagger = api.load(args.model, args.device)
    metrics, scores = api.evaluate(tagger, read_tagged(args.test, cfg.column))
    print_table([{"model": cfg.model, **metrics, "tokens": scores.tokens, "unknown tokens": scores.unknown_tokens}])
    print()
    print_table(per_tag_rows(scores), title="per tag (gold)")
    print()
    print_table(confusion_rows(scores), title="most frequent errors (gold → predicted)")
    note = _tagset_note(scores)
    if note:
        print(f"  note: {note}")
    write_metrics_json(args.json, metrics, time.perf_counter() - t0)
    return 0


def _tagset_note(scores) -> str | None:
    """When the model never predicts any tag of the test file, the tag sets differ."""
    gold = set(scores.per_tag)
    predicted = {p for _, p in scores.confusion} | {t for t, (ok, _) in scores.per_tag.items() if ok}
    if gold & predicted:
        return None
    return (f"the model never predicts a tag of this file ({_first(gold)} …) but {_first(predicted)} …: "
            "a different tag set (--column upos/xpos)?")


def _first(tags: set[str]) -> str:
    return ", ".join(sorted(tags)[:4])


def _predict(args: argparse.Namespace) -> int:
    _, tagger = api.load(args.model, args.device)
    sentences = read_plain(args.input)
    for s, tags in zip(sentences, tagger.predict([s.words for s in sentences]), strict=True):
        print(" ".join(f"{w}/{t}" for w, t in zip(s.words, tags, strict=True)))
    return 0
