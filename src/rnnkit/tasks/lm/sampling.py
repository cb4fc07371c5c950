"""Sampling from a language model: temperature, top-k and nucleus (top-p), as pure functions.

Given logits O ∈ R^V of the next token:

    P_τ(i) ∝ exp(O_i / τ)                       temperature τ > 0; τ = 0 is greedy (argmax)
    top-k: keep the k largest P_τ(i), renormalise
    top-p: keep the smallest set of tokens, most probable first, whose mass reaches p

As τ → 0, P_τ puts all its mass on the argmax, so sampling at τ = 0 is greedy decoding
(tests check both). ``banned`` ids (``<unk>`` for characters) are never produced.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
from torch import Tensor

from rnnkit.errors import ConfigError

__all__ = ["SampleConfig", "filter_logits", "generate", "next_token"]


@dataclass(frozen=True)
class SampleConfig:
    """How to draw tokens: ``temperature`` ≥ 0 (0 = greedy), ``top_k`` (0 = all),
    ``top_p`` in (0, 1] (1 = all), ``seed`` for the generator."""

    temperature: float = field(default=1.0, metadata={"help": "divide the logits by this (0 = greedy)"})
    top_k: int = field(default=0, metadata={"help": "draw from the k most likely tokens (0 = all)"})
    top_p: float = field(default=1.0, metadata={"help": "draw from the smallest set holding this much "
                                                        "probability (1 = all)"})
    seed: int = field(default=0, metadata={"help": "random seed of the draws"})

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ConfigError(f"temperature must be ≥ 0, got {self.temperature}")
        if self.top_k < 0:
            raise ConfigError(f"top_k must be ≥ 0, got {self.top_k}")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must lie in (0, 1], got {self.top_p}")


def filter_logits(logits: Tensor, top_k: int = 0, top_p: float = 1.0) -> Tensor:
    """Set logits outside the top-k / top-p set to −inf. logits (B, V) → (B, V)."""
    out = logits.clone()
    if 0 < top_k < out.shape[-1]:
        kth = out.topk(top_k, dim=-1).values[..., -1:]  # (B, 1)
        out[out < kth] = float("-inf")
    if top_p < 1.0:
        sorted_l, idx = out.sort(dim=-1, descending=True)  # (B, V)
        probs = sorted_l.softmax(-1)
        before = probs.cumsum(-1) - probs  # mass of the more probable tokens
        drop = before >= top_p  # keeps the first token always
        out.scatter_(-1, idx, sorted_l.masked_fill(drop, float("-inf")))
    return out


def next_token(logits: Tensor, cfg: SampleConfig, generator: torch.Generator | None = None,
               banned: list[int] | None = None) -> Tensor:
    """Draw one token per row. logits (B, V) → ids (B,)."""
    logits = logits.float()
    if banned:
        logits = logits.clone()
        logits[:, banned] = float("-inf")
    if cfg.temperature == 0:
        return logits.argmax(-1)
    probs = filter_logits(logits / cfg.temperature, cfg.top_k, cfg.top_p).softmax(-1)  # (B, V)
    return torch.multinomial(probs, 1, generator=generator)[:, 0]


@torch.no_grad()
def generate(model, prime: list[int], length: int, cfg: SampleConfig,
             banned: list[int] | None = None) -> Iterator[int]:
    """Yield ``length`` token ids after reading ``prime`` (one step at a time, state carried)."""
    if not prime:
        raise ConfigError("the prime text is empty (give --prime TEXT or --prime-file)")
    model.eval()
    dev = next(model.parameters()).device
    gen = torch.Generator(device=dev).manual_seed(cfg.seed)
    x = torch.tensor(prime, dtype=torch.long, device=dev)[None]  # (1, T)
    logits, state = model(x)  # (1, T, V)
    logits = logits[:, -1]  # (1, V)
    for _ in range(length):
        tok = next_token(logits, cfg, gen, banned)  # (1,)
        yield int(tok)
        logits, state = model.step(tok, state)  # (1, V)
