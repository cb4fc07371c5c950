"""Vocabularies and deterministic padded batches for the BiLSTM tagger."""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

import torch

from rnnkit.data.conllu_io import Sentence

PAD, UNK = "<pad>", "<unk>"
MAX_CHARS = 30  # longer words are cut (URLs, e-mail addresses)


class Vocab(NamedTuple):
    """Lower-cased words (min count), characters, tags; index 0 = pad, 1 = unk."""

    words: list[str]
    chars: list[str]
    tags: list[str]

    @classmethod
    def build(cls, sentences: list[Sentence], min_count: int) -> Vocab:
        wc = Counter(w.lower() for s in sentences for w in s.words)
        cc = Counter(c for s in sentences for w in s.words for c in w)
        return cls([PAD, UNK, *sorted(w for w, n in wc.items() if n >= min_count)],
                   [PAD, UNK, *sorted(cc)], sorted({t for s in sentences for t in s.tags}))

    def to_json(self) -> dict:
        return {"words": self.words, "chars": self.chars, "tags": self.tags}


class Encoded(NamedTuple):
    words: torch.Tensor  # (T,)
    chars: torch.Tensor  # (T, C_max)
    char_lengths: torch.Tensor  # (T,)
    tags: torch.Tensor  # (T,) or empty


def encode(s: Sentence, v: Vocab, wix: dict, cix: dict, tix: dict) -> Encoded:
    T = len(s.words)
    chars = torch.zeros(T, MAX_CHARS, dtype=torch.long)
    clen = torch.zeros(T, dtype=torch.long)
    for i, w in enumerate(s.words):
        ids = [cix.get(c, 1) for c in w[:MAX_CHARS]]
        chars[i, : len(ids)] = torch.tensor(ids)
        clen[i] = max(len(ids), 1)
    words = torch.tensor([wix.get(w.lower(), 1) for w in s.words])
    tags = torch.tensor([tix.get(t, -100) for t in s.tags]) if s.tags else torch.empty(0, dtype=torch.long)
    return Encoded(words, chars, clen, tags)


def encode_all(sentences: list[Sentence], v: Vocab) -> list[Encoded]:
    wix, cix, tix = ({x: i for i, x in enumerate(xs)} for xs in (v.words, v.chars, v.tags))
    return [encode(s, v, wix, cix, tix) for s in sentences]


def collate(items: list[Encoded]) -> tuple[torch.Tensor, ...]:
    """(words (B,T), chars (B,T,C), lengths (B,), char_lengths (B,T), tags (B,T) −100 at pads)."""
    B, T = len(items), max(len(e.words) for e in items)
    C = max(int(e.char_lengths.max()) for e in items)
    words = torch.zeros(B, T, dtype=torch.long)
    chars = torch.zeros(B, T, C, dtype=torch.long)
    clen = torch.zeros(B, T, dtype=torch.long)
    tags = torch.full((B, T), -100, dtype=torch.long)
    for b, e in enumerate(items):
        n = len(e.words)
        words[b, :n], chars[b, :n], clen[b, :n] = e.words, e.chars[:, :C], e.char_lengths
        if len(e.tags):
            tags[b, :n] = e.tags
    return words, chars, torch.tensor([len(e.words) for e in items]), clen, tags


class SentenceBatches:
    """Shuffled (seed, epoch) batches of encoded sentences (a ``Batches`` for ``fit``)."""

    def __init__(self, items: list[Encoded], batch_size: int, seed: int, shuffle: bool = True) -> None:
        self.items, self.batch_size, self.seed, self.shuffle = items, batch_size, seed, shuffle

    def __len__(self) -> int:
        return (len(self.items) + self.batch_size - 1) // self.batch_size

    def get(self, epoch: int, index: int) -> tuple[torch.Tensor, ...]:
        n = len(self.items)
        order = torch.randperm(n, generator=torch.Generator().manual_seed(self.seed * 7919 + epoch)) \
            if self.shuffle else torch.arange(n)
        idx = order[index * self.batch_size:(index + 1) * self.batch_size]
        return collate([self.items[i] for i in idx.tolist()])
