"""``rnnkit lm train|evaluate|sample``: language models and text generation.

    rnnkit lm train --corpus shakespeare --unit char --cell lstm --layers 2 --hidden 256 --bptt 100 \\
                    --max-steps N --out DIR --json m.json          (--text PATH [--valid PATH] for your text)
    rnnkit lm train --config configs/zaremba-small.toml --corpus ptb --out DIR   (Zaremba et al. 2014)
    rnnkit lm sample --model DIR --prime "ROMEO:" --length 500 --temperature 0.8 [--top-k K] [--top-p P]
    rnnkit lm evaluate --model DIR [--text PATH] --json m.json

``predict`` is another name for ``sample``. ``--json`` keys: ``bpc`` (characters) or
``perplexity`` (words, BPE), ``loss``, ``tokens_per_second``, ``seconds``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rnnkit.cli.common import (
    add_model_flags,
    add_train_flags,
    apply_init_from,
    print_table,
    start_train,
    write_metrics_json,
)
from rnnkit.config import add_config_flags, build_config
from rnnkit.errors import ConfigError, not_utf8
from rnnkit.tasks.lm import api
from rnnkit.tasks.lm.config import LMConfig
from rnnkit.tasks.lm.model import LanguageModel
from rnnkit.tasks.lm.plots import plot_curves
from rnnkit.tasks.lm.sampling import SampleConfig, generate
from rnnkit.training.distributed import is_main_process


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lm", help="language models: train, evaluate, sample text", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    tr = actions.add_parser("train", help="train on a built-in corpus or --text PATH")
    tr.add_argument("--text", type=Path, help="UTF-8 training text (instead of --corpus)")
    tr.add_argument("--valid", type=Path, help="validation text for --text (default: its last val_fraction)")
    add_train_flags(tr, LMConfig)
    tr.set_defaults(func=_train)
    ev = actions.add_parser("evaluate", help="bpc or perplexity of a trained model")
    add_model_flags(ev)
    ev.add_argument("--text", type=Path, help="text to score (default: the built-in corpus's test split)")
    ev.add_argument("--split", choices=("valid", "test"), default="test", help="built-in corpus split")
    ev.set_defaults(func=_evaluate)
    sa = actions.add_parser("sample", aliases=["predict"], help="generate text, streamed to stdout")
    add_model_flags(sa, json=False)
    sa.add_argument("--prime", help="text to start from (default: a newline)")
    sa.add_argument("--prime-file", type=Path, help="read the prime text from a file")
    sa.add_argument("--length", type=int, default=500, help="tokens to generate (default 500)")
    add_config_flags(sa.add_argument_group("sampling"), SampleConfig)
    sa.set_defaults(func=_sample)


def _train(args: argparse.Namespace) -> int:
    setup = start_train(args, LMConfig)
    cfg = setup.config
    data = api.prepare(cfg, api.corpus_for(cfg, args.text, args.valid))
    init = None
    if args.init_from is not None:  # DIR's weights, checked against this config's shapes
        probe = LanguageModel(cfg, len(data.tokenizer))
        apply_init_from(probe, args, task=api.TASK)
        init = probe.state_dict()
    model, info = api.train(cfg, data, out=setup.out, resume=setup.resume, init=init)
    metrics = {**api.stream_metrics(info["valid_loss"], cfg.unit), "tokens_per_second": info["tokens_per_second"]}
    row = {"text": cfg.corpus or args.text.name, "unit": cfg.unit, "vocab": len(data.tokenizer),
           "steps": int(info["steps"]), "valid": _score(info["valid_loss"], cfg.unit)}
    if data.test is not None:
        test = api.evaluate_stream(model.net, data.test, rows=cfg.eval_batch_size, bptt=cfg.bptt, quiet=cfg.train.quiet)
        row["test"] = _score(test["loss"], cfg.unit)
        metrics.update({f"test_{k}": v for k, v in api.stream_metrics(test["loss"], cfg.unit).items()})
    row["tokens/s"] = round(info["tokens_per_second"])
    if is_main_process():
        print_table([row])
        if setup.out is not None:
            api.save(setup.out, model, metrics)
            if plot_curves(setup.out / "training.png", info["rows"], cfg.unit):
                print(f"wrote {setup.out / 'training.png'}")
        write_metrics_json(setup.json, metrics, setup.seconds)
    return 0


def _score(loss: float, unit: str) -> str:
    m = api.stream_metrics(loss, unit)
    return f"{m['bpc']:.3f} bpc" if unit == "char" else f"{m['perplexity']:.1f} ppl"


def _evaluate(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    model = api.load(args.model, args.device)
    cfg = model.cfg
    if args.text is not None:
        ids = api.prepare_eval(model, args.text)
    else:
        if cfg.corpus is None:
            raise ConfigError("this model was trained on a user text: give --text PATH to score")
        data = api.prepare(cfg, api.corpus_for(cfg, None, None), tokenizer=model.tokenizer)
        ids = data.test if args.split == "test" and data.test is not None else data.valid
    m = api.evaluate_stream(model.net, ids, rows=cfg.eval_batch_size, bptt=cfg.bptt, quiet=args.quiet)
    metrics = {**api.stream_metrics(m["loss"], cfg.unit), "tokens_per_second": m["tokens_per_second"]}
    print_table([{"tokens": int(m["tokens"]), **metrics}])
    write_metrics_json(args.json, metrics, time.perf_counter() - t0)
    return 0


def _prime(args: argparse.Namespace) -> str:
    if args.prime is not None and args.prime_file is not None:
        raise ConfigError("give --prime or --prime-file, not both")
    if args.prime_file is not None:
        try:
            return args.prime_file.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise not_utf8(args.prime_file, e) from None
    return "\n" if args.prime is None else args.prime


def _sample(args: argparse.Namespace) -> int:
    if args.length < 1:
        raise ConfigError(f"--length must be ≥ 1, got {args.length}")
    scfg = build_config(SampleConfig, flags=args)
    model = api.load(args.model, args.device)
    tok, prime = model.tokenizer, _prime(args)
    ids = tok.encode(prime)
    if tok.unit == "word" and ids and ids[-1] == 1 and not prime.endswith("\n"):
        ids = ids[:-1]  # the word tokenizer ends every line with <eos>; a prime continues its line
    if sum(i == 0 for i in ids) and tok.unit == "char":
        sys.stderr.write("rnnkit: note: the prime has characters the model never saw; read as <unk>\n")
    out = sys.stdout
    out.write(prime)
    for i in generate(model.net, ids, args.length, scfg, banned=tok.banned):
        out.write(tok.decode([i]))
        out.flush()
    out.write("\n")
    return 0
