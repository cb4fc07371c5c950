"""A toy ``train`` command for ``test_ddp.py``, built like a task command (rnnkit.cli.common).

    torchrun --nproc-per-node 2 ddp_worker.py --out OUT --json OUT.json   # 2 ranks, gloo on CPU
    python ddp_worker.py --out OUT --json OUT.json                        # 1 process, same batches

A GRU language model trained by TBPTT over a token stream (5 rows: the two ranks get 3 and 2
rows, so the loss weighting by item count matters), SGD with momentum, clipping, 6 steps.
Only rank 0 writes the model directory, ``--json`` and ``OUT/rank<R>.txt``.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field

import torch
from torch import nn

from rnnkit import atomic
from rnnkit.cli.common import add_train_flags, finish_train, start_train
from rnnkit.config import config_to_dict
from rnnkit.training import (
    CarriedState,
    StepOutput,
    StreamBatches,
    TrainConfig,
    fit,
    is_main_process,
)

TRAIN = TrainConfig(epochs=1, max_steps=6, batch_size=5, optimizer="sgd", lr=0.5, momentum=0.9, clip=1.0,
                    quiet=True, device="cpu")


@dataclass(frozen=True)
class ToyConfig:
    """The toy task's config: vocabulary, hidden size, window and the shared training settings."""

    vocab: int = 7
    hidden_size: int = 12
    bptt: int = 8
    train: TrainConfig = field(default_factory=lambda: TRAIN)


class TinyLM(nn.Module):
    """Embedding → GRU → linear; ``forward(x (B,T), h (1,B,H)) -> (logits (B,T,V), h)``."""

    def __init__(self, vocab: int = 7, hidden: int = 12) -> None:
        super().__init__()
        self.emb, self.rnn = nn.Embedding(vocab, hidden), nn.GRU(hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x, h):
        y, h = self.rnn(self.emb(x), h)  # (B, T, H), (1, B, H)
        return self.out(y), h  # (B, T, V)


def main() -> None:
    parser = argparse.ArgumentParser()
    add_train_flags(parser, ToyConfig)
    setup = start_train(parser.parse_args(), ToyConfig)
    cfg = setup.config
    torch.set_num_threads(1)
    model = TinyLM(cfg.vocab, cfg.hidden_size)
    stream = torch.randint(0, cfg.vocab, (400,), generator=torch.Generator().manual_seed(1))
    carried = CarriedState()

    def step(m, batch):
        x, y = batch
        logits, h = m(x, carried.get())
        carried.set(h)
        return StepOutput(nn.functional.cross_entropy(logits.reshape(-1, cfg.vocab), y.reshape(-1)), y.numel())

    res = fit(model, step, StreamBatches(stream, batch_size=cfg.train.batch_size, bptt=cfg.bptt), cfg.train,
              carried=carried, out=setup.out, resume=setup.resume, run_config=config_to_dict(cfg))
    finish_train(setup, task="toy", model=model, metrics={"loss": res.history[-1]["train_loss"]})
    if is_main_process():
        atomic.write_text(setup.out / f"rank{os.environ.get('RANK', '0')}.txt", "written\n")


if __name__ == "__main__":
    main()
