"""Train, load, evaluate and run taggers: what the CLI, the tour and the benchmark call."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Protocol

import torch
from torch import nn

from rnnkit.config import config_from_dict, config_to_dict
from rnnkit.data.conllu_io import Sentence
from rnnkit.device import resolve_device
from rnnkit.errors import ModelFileError
from rnnkit.tasks.tag.bilstm import BiLSTMTagger
from rnnkit.tasks.tag.config import TagConfig
from rnnkit.tasks.tag.encode import SentenceBatches, Vocab, collate, encode_all
from rnnkit.tasks.tag.evaluate import TagScores, score_tags
from rnnkit.tasks.tag.hmm_tagger import HMMTagger
from rnnkit.training import StepOutput, fit
from rnnkit.training.checkpoint import load_model_dir, load_state_into, save_model_dir
from rnnkit.training.rng import seed_everything

log = logging.getLogger(__name__)
TASK = "tag"


class Tagger(Protocol):
    known: set[str]

    def predict(self, sentences: list[list[str]]) -> list[list[str]]: ...


class HMMModel:
    """A fitted HMM tagger with the training vocabulary."""

    def __init__(self, hmm: HMMTagger) -> None:
        self.hmm, self.known = hmm, set(hmm.words_)

    def predict(self, sentences):
        return self.hmm.predict(sentences)


class NeuralModel:
    """A BiLSTM tagger with its vocabulary; predicts in batches of 64 sentences."""

    def __init__(self, net: BiLSTMTagger, vocab: Vocab, known: set[str], device: torch.device) -> None:
        self.net, self.vocab, self.known, self.device = net.to(device).eval(), vocab, known, device

    @torch.no_grad()
    def predict(self, sentences):
        items = encode_all([Sentence(ws, []) for ws in sentences], self.vocab)
        out = []
        for i in range(0, len(items), 64):
            words, chars, lengths, clen, _ = collate(items[i:i + 64])
            logits = self.net(words.to(self.device), chars.to(self.device), lengths, clen.to(self.device))
            best = logits.argmax(-1).cpu()  # (B, T)
            out += [[self.vocab.tags[k] for k in best[b, :n].tolist()] for b, n in enumerate(lengths.tolist())]
        return out


def build_net(cfg: TagConfig, vocab: Vocab) -> BiLSTMTagger:
    return BiLSTMTagger(len(vocab.words), len(vocab.chars), len(vocab.tags), word_dim=cfg.word_dim,
                        char_dim=cfg.char_dim, char_hidden=cfg.char_hidden, hidden=cfg.hidden,
                        layers=cfg.layers, dropout=cfg.dropout)


def evaluate(tagger: Tagger, sentences: list[Sentence]) -> tuple[dict[str, float], TagScores]:
    """accuracy, unknown_accuracy and sentences_per_second on tagged ``sentences``."""
    t0 = time.perf_counter()
    pred = tagger.predict([s.words for s in sentences])
    seconds = time.perf_counter() - t0
    sc = score_tags([s.tags for s in sentences], pred, [s.words for s in sentences], tagger.known)
    return {"accuracy": sc.accuracy, "unknown_accuracy": sc.unknown_accuracy,
            "sentences_per_second": len(sentences) / max(seconds, 1e-9)}, sc


def train_hmm(cfg: TagConfig, train: list[Sentence]) -> HMMModel:
    return HMMModel(HMMTagger(cfg.smoothing, cfg.suffix_length, cfg.rare_threshold, cfg.order).fit(train))


def train_bilstm(cfg: TagConfig, train: list[Sentence], dev: list[Sentence] | None, *,
                 out: Path | None = None, resume: Path | None = None,
                 init: dict[str, torch.Tensor] | None = None) -> NeuralModel:
    """Train through the engine; the best epoch by dev accuracy is kept."""
    vocab = Vocab.build(train, cfg.min_count)
    seed_everything(cfg.train.seed)  # initial weights depend on the seed alone
    net = build_net(cfg, vocab)
    if init is not None:
        load_state_into(net, init, "--init-from")
    known = {w for s in train for w in s.words}
    batches = SentenceBatches(encode_all(train, vocab), cfg.train.batch_size, cfg.train.seed)

    def step(model: nn.Module, batch) -> StepOutput:
        words, chars, lengths, clen, tags = batch
        if model.training and cfg.word_dropout > 0:  # teach the <unk> path to use characters
            words = words.masked_fill(torch.rand(words.shape, device=words.device) < cfg.word_dropout, 1)
        logits = model(words, chars, lengths, clen)  # (B, T, K)
        n = int((tags != -100).sum())
        return StepOutput(nn.functional.cross_entropy(logits.flatten(0, 1), tags.flatten()), n)

    validate = None
    if dev:
        def validate(model):
            m = NeuralModel(model, vocab, known, next(model.parameters()).device)
            acc = evaluate(m, dev)[0]["accuracy"]
            model.train()
            return {"accuracy": acc}
    fit(net, step, batches, cfg.train, validate=validate, monitor="accuracy", mode="max", out=out,
        resume=resume, run_config=config_to_dict(cfg))
    return NeuralModel(net, vocab, known, resolve_device(cfg.train.device))


def save(out: Path, cfg: TagConfig, tagger: Tagger, metrics: dict[str, float]) -> None:
    """Write the model directory (safetensors + JSON; never pickle)."""
    if isinstance(tagger, HMMModel):
        arrays, meta = tagger.hmm.state()
        files = {"hmm.json": json.dumps(meta)}
    else:
        arrays = {k: v.detach().cpu() for k, v in tagger.net.state_dict().items()}
        files = {"vocab.json": json.dumps(tagger.vocab.to_json()), "known.json": json.dumps(sorted(tagger.known))}
    save_model_dir(out, task=TASK, config=config_to_dict(cfg), state_dict=arrays, files=files, metrics=metrics)


def load(path: Path, device: str = "auto") -> tuple[TagConfig, Tagger]:
    md = load_model_dir(path, task=TASK)
    cfg = config_from_dict(TagConfig, md.config)
    try:
        if cfg.model == "hmm":
            hmm = HMMTagger.from_state(md.state_dict, json.loads(md.read_text("hmm.json")),
                                       smoothing=cfg.smoothing, suffix_length=cfg.suffix_length,
                                       rare_threshold=cfg.rare_threshold, order=cfg.order)
            return cfg, HMMModel(hmm)
        v = json.loads(md.read_text("vocab.json"))
        vocab = Vocab(v["words"], v["chars"], v["tags"])
        net = build_net(cfg, vocab)
        net.load_state_dict(md.state_dict)
    except (KeyError, RuntimeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{path}: tagger files are incomplete or inconsistent ({e})") from None
    known = set(json.loads(md.read_text("known.json")))
    return cfg, NeuralModel(net, vocab, known, resolve_device(device))
