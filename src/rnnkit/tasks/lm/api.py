"""Train, evaluate, save and load language models (what the CLI, tour and benchmark call).

Metrics: ``loss`` is the mean cross-entropy per token in nats; ``perplexity`` = exp(loss)
(words, BPE); ``bpc`` = loss / ln 2, bits per character (characters).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnnkit.config import config_from_dict, config_to_dict
from rnnkit.data import registry
from rnnkit.data.text import TextCorpus, TextPart
from rnnkit.data.tokenizers import Tokenizer, encode_chunks, fit_tokenizer, tokenizer_from_json
from rnnkit.device import resolve_device
from rnnkit.errors import ConfigError, DataError, ModelFileError
from rnnkit.tasks.lm.config import LMConfig
from rnnkit.tasks.lm.model import LanguageModel
from rnnkit.training import CarriedState, StepOutput, StreamBatches, fit
from rnnkit.training.checkpoint import load_model_dir, load_state_into, save_model_dir
from rnnkit.training.progress import Progress, progress_enabled
from rnnkit.training.rng import seed_everything

log = logging.getLogger(__name__)

TASK = "lm"

__all__ = ["LMData", "Trained", "corpus_for", "evaluate_stream", "load", "prepare", "prepare_eval", "save", "stream_metrics", "train"]


@dataclass
class LMData:
    """Token streams (int64 tensors (N,)) and the tokenizer fitted on the training part."""

    tokenizer: Tokenizer
    train: torch.Tensor
    valid: torch.Tensor
    test: torch.Tensor | None


@dataclass
class Trained:
    """A language model with its tokenizer and config."""

    cfg: LMConfig
    net: LanguageModel
    tokenizer: Tokenizer


def corpus_for(cfg: LMConfig, text: Path | None, valid: Path | None) -> TextCorpus:
    """The built-in ``cfg.corpus`` or a user file (``--text``, optional ``--valid``)."""
    if text is not None:
        return TextCorpus(Path(text).name, TextPart(path=Path(text)),
                          TextPart(path=Path(valid)) if valid is not None else None)
    if cfg.corpus is None:
        raise ConfigError("give --corpus NAME (shakespeare, ptb) or --text PATH")
    return registry.load(cfg.corpus, "text")


def _ids(tok: Tokenizer, part: TextPart) -> torch.Tensor:
    return torch.from_numpy(encode_chunks(tok, part.chunks()).astype(np.int64))  # (N,)


def prepare(cfg: LMConfig, corpus: TextCorpus, tokenizer: Tokenizer | None = None) -> LMData:
    """Fit the tokenizer on the training text (unless given) and encode every split."""
    tok = tokenizer or fit_tokenizer(cfg.unit, corpus.train.chunks(), max_vocab=cfg.max_vocab)
    train = _ids(tok, corpus.train)
    if corpus.valid is not None:
        valid = _ids(tok, corpus.valid)
    else:  # hold out the end of the user's text
        cut = int(len(train) * (1 - cfg.val_fraction))
        train, valid = train[:cut], train[cut:]
    test = _ids(tok, corpus.test) if corpus.test is not None else None
    need = cfg.train.batch_size * 2 + 1
    if len(train) < need:
        raise DataError(f"{corpus.name}: {len(train)} training tokens, need at least {need} "
                        f"for batch size {cfg.train.batch_size}")
    if len(valid) < 2:
        raise DataError(f"{corpus.name}: the validation text is empty")
    log.info("%s: %d/%d tokens, vocabulary %d", corpus.name, len(train), len(valid), len(tok))
    return LMData(tok, train, valid, test)


def prepare_eval(t: Trained, path: Path) -> torch.Tensor:
    """A user text file encoded with the model's own tokenizer."""
    ids = _ids(t.tokenizer, TextPart(path=Path(path)))
    if len(ids) < 2:
        raise DataError(f"{path}: fewer than 2 tokens to score")
    return ids


def stream_metrics(loss: float, unit: str) -> dict[str, float]:
    """``loss`` in nats per token → ``loss`` plus ``bpc`` (char) or ``perplexity``."""
    if unit == "char":
        return {"loss": loss, "bpc": loss / math.log(2)}
    return {"loss": loss, "perplexity": math.exp(min(loss, 700.0))}


@torch.no_grad()
def evaluate_stream(net: LanguageModel, ids: torch.Tensor, *, rows: int, bptt: int,
                    quiet: bool = True) -> dict[str, float]:
    """Mean loss over a stream read as ``rows`` parallel rows with the state carried.

    Returns ``loss`` (nats per token), ``tokens`` and ``tokens_per_second``.
    """
    if len(ids) < 2:
        raise DataError("the evaluation text has fewer than 2 tokens")
    rows = max(1, min(rows, (len(ids) - 1) // 2))
    batches, dev = StreamBatches(ids, rows, bptt), next(net.parameters()).device
    net.eval()
    state, tot, cnt, t0 = None, 0.0, 0, time.perf_counter()
    bar = Progress(enabled=progress_enabled(quiet, True), total=len(batches), desc="evaluate")
    for i in range(len(batches)):
        w = batches.window(i)
        loss, state = net(w.x.to(dev), state, targets=w.y.to(dev))
        n = w.y.numel()
        tot, cnt = tot + float(loss) * n, cnt + n
        bar.update(float(loss), n)
    bar.close()
    return {"loss": tot / cnt, "tokens": float(cnt), "tokens_per_second": cnt / (time.perf_counter() - t0)}


def train(cfg: LMConfig, data: LMData, *, out: Path | None = None, resume: Path | None = None,
          init: dict | None = None, track_test: bool = False) -> tuple[Trained, dict[str, Any]]:
    """Truncated BPTT over the training stream; validation loss after each epoch.

    Returns the model (the best validation epoch's weights if ``cfg.train.restore_best``)
    and training metrics: ``tokens_per_second`` of the whole run, ``steps``, ``history`` (epoch
    rows), ``rows`` (everything in ``metrics.csv``, step rows included) and ``valid_loss`` of
    the returned weights. ``track_test`` (benchmarks) also scores the test split after
    every epoch and records ``elapsed`` wall seconds; the test score never steers training.
    """
    started = time.perf_counter()
    seed_everything(cfg.train.seed)  # initial weights depend on the seed alone
    net = LanguageModel(cfg, len(data.tokenizer))
    if init is not None:
        load_state_into(net, init, "--init-from")
    carried = CarriedState()

    def step(model, batch) -> StepOutput:
        x, y = batch  # (B, T) each; windows do not overlap (k1 = k2 = bptt)
        loss, state = model(x, carried.get(), targets=y)
        carried.set(state)
        return StepOutput(loss, y.numel())

    def validate(model) -> dict[str, float]:
        m = evaluate_stream(model, data.valid, rows=cfg.eval_batch_size, bptt=cfg.bptt)
        res = stream_metrics(m["loss"], cfg.unit)
        if track_test and data.test is not None:
            t = evaluate_stream(model, data.test, rows=cfg.eval_batch_size, bptt=cfg.bptt)
            res.update({f"test_{k}": v for k, v in stream_metrics(t["loss"], cfg.unit).items()})
            res["elapsed"] = time.perf_counter() - started
        model.train()
        return res

    batches = StreamBatches(data.train, cfg.train.batch_size, cfg.bptt)
    res = fit(net, step, batches, cfg.train, validate=validate, monitor="loss", mode="min", out=out,
              resume=resume, carried=carried, run_config=config_to_dict(cfg))
    tokens = res.steps * cfg.train.batch_size * cfg.bptt
    info = {"steps": float(res.steps), "train_seconds": res.seconds,
            "tokens_per_second": tokens / max(res.seconds, 1e-9), "history": res.history,
            "rows": res.rows,
            # the returned weights' validation loss, already computed by fit (best or last epoch)
            "valid_loss": (res.best if cfg.train.restore_best else res.history[-1])["val_loss"]}
    return Trained(cfg, net, data.tokenizer), info


def save(out: Path, t: Trained, metrics: dict[str, float]) -> None:
    save_model_dir(out, task=TASK, config=config_to_dict(t.cfg), state_dict=t.net.state_dict(),
                   files={"vocab.json": t.tokenizer.to_json()}, metrics=metrics)


def load(path: Path, device: str = "auto") -> Trained:
    md = load_model_dir(path, task=TASK)
    cfg = config_from_dict(LMConfig, md.config)
    tok = tokenizer_from_json(md.read_text("vocab.json"))
    net = LanguageModel(cfg, len(tok))
    try:
        net.load_state_dict(md.state_dict)
    except RuntimeError as e:
        raise ModelFileError(f"{path}: weights do not match the config ({str(e).splitlines()[0]})") from None
    return Trained(cfg, net.to(resolve_device(device)), tok)
