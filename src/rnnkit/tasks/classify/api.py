"""Train, evaluate, save and load many-to-one models (what the CLI, tour and benchmark call)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from rnnkit.config import config_from_dict, config_to_dict
from rnnkit.data.sequences import CharVocab, SequenceSet, SequenceTask
from rnnkit.device import resolve_device
from rnnkit.errors import ConfigError, ModelFileError
from rnnkit.tasks.classify.config import ClassifyConfig
from rnnkit.tasks.classify.metrics import classification_metrics, regression_metrics
from rnnkit.tasks.classify.model import SequenceModel
from rnnkit.tasks.classify.tensors import Padded, feature_stats, to_padded
from rnnkit.training import StepOutput, TensorBatches, fit
from rnnkit.training.checkpoint import load_model_dir, load_state_into, save_model_dir
from rnnkit.training.rng import seed_everything

TASK = "classify"


@dataclass
class Trained:
    """A model with what it needs to read new inputs and write outputs."""

    cfg: ClassifyConfig
    net: SequenceModel
    inputs: str                    # "values" or "text"
    labels: list[str]              # class names (classification)
    vocab: CharVocab | None        # text inputs
    y_mean: float = 0.0            # regression target standardisation
    y_std: float = 1.0
    x_stats: tuple | None = None   # per-feature (mean, std) for normalize="global"

    @property
    def regression(self) -> bool:
        return self.cfg.task == "regression"

    def padded(self, s: SequenceSet) -> Padded:
        return to_padded(s, text=self.inputs == "text", vocab=self.vocab, normalize=self.cfg.normalize,
                         stats=self.x_stats, y_dtype=torch.float32 if self.regression else torch.long,
                         chunk=self.cfg.chunk)

    @torch.no_grad()
    def predict(self, s: SequenceSet, batch_size: int = 256) -> np.ndarray:
        """Class ids (N,) or regression values (N,) in the original units."""
        p, dev = self.padded(s), next(self.net.parameters()).device
        self.net.eval()
        outs = []
        for i in range(0, len(p.lengths), batch_size):
            lengths = p.lengths[i:i + batch_size]
            x = p.x[i:i + batch_size, : int(lengths.max())].to(dev)
            outs.append(self.net(x, lengths.to(dev)).cpu())
        o = torch.cat(outs)
        return (o[:, 0] * self.y_std + self.y_mean).numpy() if self.regression else o.argmax(-1).numpy()

    def evaluate(self, s: SequenceSet) -> dict[str, float]:
        pred = self.predict(s)
        y = np.asarray(s.y)
        return regression_metrics(y.astype(float), pred) if self.regression else \
            classification_metrics(y, pred, len(self.labels))


def _split_validation(s: SequenceSet, fraction: float, seed: int) -> tuple[SequenceSet, SequenceSet | None]:
    if fraction <= 0:
        return s, None
    order = np.random.default_rng(seed).permutation(len(s.y))
    cut = max(1, int(round(fraction * len(order))))
    pick = lambda idx: SequenceSet([s.X[i] for i in idx], np.asarray(s.y)[idx])  # noqa: E731
    return pick(order[cut:]), pick(order[:cut])


def _loss_fn(cfg: ClassifyConfig, y: torch.Tensor, k: int):
    if cfg.task == "regression":
        return nn.HuberLoss() if cfg.loss == "huber" else nn.MSELoss()
    weight = None
    if cfg.class_weights:
        counts = torch.bincount(y, minlength=k).float()
        weight = counts.sum() / (k * counts.clamp_min(1))
    return nn.CrossEntropyLoss(weight=weight)


def build_model(cfg: ClassifyConfig, input_size: int, n_outputs: int, vocab_size: int) -> SequenceModel:
    return SequenceModel(input_size=input_size, n_outputs=n_outputs, cell=cfg.cell, hidden=cfg.hidden,
                         layers=cfg.layers, bidirectional=cfg.bidirectional, pool=cfg.pool,
                         dropout=cfg.dropout, vocab_size=vocab_size, embed_dim=cfg.embed_dim)


def train(cfg: ClassifyConfig, task: SequenceTask, *, out: Path | None = None,
          resume: Path | None = None, init: dict | None = None) -> Trained:
    """Fit a model on ``task.train`` (minus a validation share, if configured)."""
    if cfg.task != task.kind:
        raise ConfigError(f"{task.name} is a {task.kind} task; use --task {task.kind}")
    fit_set, val_set = _split_validation(task.train, cfg.val_fraction, cfg.train.seed)
    text = task.inputs == "text"
    if text and cfg.chunk != 1:
        raise ConfigError("--chunk applies to numeric series, not to text")
    vocab = CharVocab.build(list(fit_set.X)) if text else None
    y = np.asarray(fit_set.y, dtype=float)
    t = Trained(cfg, None, task.inputs, task.labels, vocab,  # type: ignore[arg-type]
                float(y.mean()) if cfg.task == "regression" else 0.0,
                float(y.std() or 1.0) if cfg.task == "regression" else 1.0,
                feature_stats(fit_set.X) if not text and cfg.normalize == "global" else None)
    p = t.padded(fit_set)
    k = 1 if t.regression else len(task.labels)
    seed_everything(cfg.train.seed)  # initial weights depend on the seed alone
    t.net = build_model(cfg, 1 if text else p.x.shape[-1], k, len(vocab) if text else 0)
    if init is not None:
        load_state_into(t.net, init, "--init-from")
    target = (p.y - t.y_mean) / t.y_std if t.regression else p.y
    loss = _loss_fn(cfg, p.y, k)

    def step(model, batch) -> StepOutput:
        x, lengths, yb = batch
        o = model(x[:, : int(lengths.max())], lengths)
        return StepOutput(loss(o[:, 0], yb) if t.regression else loss(o, yb), len(yb))

    validate = None
    if val_set is not None:
        def validate(model):
            m = t.evaluate(val_set)
            model.train()
            return {"score": -m["rmse"] if t.regression else m["accuracy"]}
    fit(t.net, step, TensorBatches(p.x, p.lengths, target, batch_size=cfg.train.batch_size, seed=cfg.train.seed),
        cfg.train, validate=validate, monitor="score" if validate else "loss",
        mode="max" if validate else "min", out=out, resume=resume,
        run_config=config_to_dict(cfg))
    return t


def save(out: Path, t: Trained, metrics: dict[str, float]) -> None:
    meta = {"inputs": t.inputs, "labels": t.labels, "vocab": t.vocab.chars if t.vocab else None,
            "y_mean": t.y_mean, "y_std": t.y_std,
            "x_stats": [v.tolist() for v in t.x_stats] if t.x_stats is not None else None,
            "input_size": t.net.rnn.input_size if t.net.embed is None else 1}
    save_model_dir(out, task=TASK, config=config_to_dict(t.cfg), state_dict=t.net.state_dict(),
                   files={"data.json": json.dumps(meta)}, metrics=metrics)


def load(path: Path, device: str = "auto") -> Trained:
    md = load_model_dir(path, task=TASK)
    cfg = config_from_dict(ClassifyConfig, md.config)
    try:
        meta = json.loads(md.read_text("data.json"))
        vocab = CharVocab(meta["vocab"]) if meta["vocab"] is not None else None
        k = 1 if cfg.task == "regression" else len(meta["labels"])
        net = build_model(cfg, meta["input_size"], k, len(vocab) if vocab else 0)
        net.load_state_dict(md.state_dict)
    except (KeyError, RuntimeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{path}: classifier files are incomplete or inconsistent ({e})") from None
    net.to(resolve_device(device))
    stats = tuple(np.array(v, dtype=np.float32) for v in meta["x_stats"]) if meta.get("x_stats") else None
    return Trained(cfg, net, meta["inputs"], meta["labels"], vocab, meta["y_mean"], meta["y_std"], stats)
