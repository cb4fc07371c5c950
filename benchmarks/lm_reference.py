"""The plain ``torch.nn`` language model the benchmark compares rnnkit against.

A straightforward PyTorch script of Zaremba et al.'s recipe (their loss: summed over the
window, averaged over the batch; lr 1, clip 5), written the way a tutorial writes it: ``nn.Embedding`` → ``nn.LSTM(batch_first=True)`` → ``nn.Linear`` →
``F.cross_entropy``, SGD, ``clip_grad_norm_``, the state carried across windows and detached.
"""

from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from torch import nn


class TorchLM(nn.Module):
    def __init__(self, vocab: int, hidden: int, layers: int, dropout: float = 0.0, init: float | None = 0.1) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(hidden, hidden, layers, batch_first=True, dropout=dropout)
        self.out = nn.Linear(hidden, vocab)
        for p in self.parameters() if init else ():  # None: torch's own initialisation
            nn.init.uniform_(p, -init, init)

    def forward(self, x, state=None):
        h, state = self.lstm(self.drop(self.embed(x)), state)  # (B, T, H)
        return self.out(self.drop(h)), state  # (B, T, V)


def stream_rows(ids: torch.Tensor, rows: int) -> torch.Tensor:
    cols = len(ids) // rows
    return ids[: rows * cols].view(rows, cols)  # (B, L)


def train_steps(model: TorchLM, opt, data: torch.Tensor, bptt: int, start: int, steps: int,
                state=None, clip: float = 5.0):
    """``steps`` windows from column ``start`` (wrapping to 0 at the end); returns (state, next start)."""
    model.train()
    for _ in range(steps):
        if start + bptt + 1 > data.shape[1]:
            start, state = 0, None
        x, y = data[:, start:start + bptt], data[:, start + 1:start + 1 + bptt]
        if state is not None:
            state = tuple(s.detach() for s in state)
        logits, state = model(x, state)
        # Zaremba et al.'s loss: summed over the window's steps, averaged over the batch
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum") / x.shape[0]
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        start += bptt
    return state, start


@torch.no_grad()
def evaluate(model: TorchLM, ids: torch.Tensor, rows: int = 10, bptt: int = 35) -> float:
    """Mean NLL per token (nats) with the state carried."""
    model.eval()
    data, state, tot, cnt = stream_rows(ids, rows), None, 0.0, 0
    for s in range(0, data.shape[1] - 1, bptt):
        x, y = data[:, s:s + bptt], data[:, s + 1:s + 1 + bptt]
        x = x[:, : y.shape[1]]
        logits, state = model(x, state)
        tot += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum"))
        cnt += y.numel()
    return tot / cnt


def train_epochs(model: TorchLM, train: torch.Tensor, valid: torch.Tensor, test: torch.Tensor, *, epochs: int,
                 batch: int = 20, bptt: int = 35, lr: float = 1.0, decay_after: int = 4, decay: float = 0.5,
                 log=print) -> list[dict[str, float]]:
    """The full recipe; one row per epoch (perplexities, seconds)."""
    data, opt, rows = stream_rows(train, batch), torch.optim.SGD(model.parameters(), lr=lr), []
    n_windows, t0 = (data.shape[1] - 1) // bptt, time.perf_counter()
    for e in range(1, epochs + 1):
        for g in opt.param_groups:
            g["lr"] = lr * decay ** max(0, e - decay_after)
        train_steps(model, opt, data, bptt, 0, n_windows)
        row = {"epoch": e, "valid_ppl": math.exp(evaluate(model, valid)), "test_ppl": math.exp(evaluate(model, test)),
               "seconds": time.perf_counter() - t0}
        rows.append(row)
        log(row)
    return rows
