"""A toy run for the resume tests: a GRU language model on a token stream with TBPTT.

Covers everything a checkpoint must restore: Adam moments, the step schedule, dropout (torch
RNG), numpy/python RNG use inside the step, the carried TBPTT state and the data position.

    python toy_train.py OUT [--resume] [--sleep SECONDS] [--epochs N]

Writes the final weights to OUT/final (a model directory).
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from rnnkit.training import (
    CarriedState,
    StepOutput,
    StreamBatches,
    TrainConfig,
    fit,
    save_model_dir,
)
from rnnkit.training.rng import seed_everything


class ToyLM(nn.Module):
    """Embedding → GRU → dropout → linear; ``forward(x (B,T), h (1,B,H)) -> (logits (B,T,V), h)``."""

    def __init__(self, vocab: int = 11, hidden: int = 16) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, hidden)
        self.rnn = nn.GRU(hidden, hidden, batch_first=True)
        self.drop = nn.Dropout(0.3)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        y, h = self.rnn(self.drop(self.emb(x)), h)  # (B, T, H), (1, B, H)
        return self.out(self.drop(y)), h  # (B, T, V)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--sleep", type=float, default=0.0)
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    seed_everything(7)
    model = ToyLM()
    stream = torch.from_numpy(np.random.default_rng(0).integers(0, 11, size=2000))
    batches = StreamBatches(stream, batch_size=4, bptt=10)
    carried = CarriedState()

    def step(m: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> StepOutput:
        x, y = batch
        logits, h = m(x, carried.get())
        carried.set(h)
        noise = np.random.rand() * 1e-3 + random.random() * 1e-3  # numpy + python RNG in the loop
        loss = nn.functional.cross_entropy(logits.reshape(-1, 11), y.reshape(-1)) * (1 + noise)
        time.sleep(args.sleep)
        return StepOutput(loss, y.numel())

    cfg = TrainConfig(epochs=args.epochs, lr=0.01, optimizer="adam", schedule="step", decay_after=1,
                      lr_decay=0.5, clip=0.5, checkpoint_every=3, log_every=5, quiet=True, seed=3)
    fit(model, step, batches, cfg, out=args.out, resume=args.out if args.resume else None, carried=carried)
    save_model_dir(args.out / "final", task="toy", config={}, state_dict=model.state_dict())


if __name__ == "__main__":
    main()
