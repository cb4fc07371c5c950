"""Tokenizers for language modelling: characters, words, and BPE through ``tokenizers``.

A tokenizer maps text to integer ids and back. It is *fitted* on training text given as an
iterable of chunks (so a large file is streamed, never held as a list of lines), and saved
as JSON in the model directory.

* ``CharTokenizer``: every character seen in training (any UTF-8, Cyrillic included) plus
  ``<unk>`` (id 0). Unknown characters encode to ``<unk>``; sampling never emits it.
* ``WordTokenizer``: whitespace-separated words, one ``<eos>`` at the end of every line
  (Mikolov's Penn Treebank convention), the ``max_vocab`` most frequent words (ties broken by
  first appearance), everything else ``<unk>``.
* ``BPETokenizer``: byte-pair encoding trained with the ``tokenizers`` package (optional).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable
from typing import Protocol

import numpy as np

from rnnkit.errors import ConfigError, DataError, DatasetUnavailable, ModelFileError

log = logging.getLogger(__name__)

UNK, EOS = "<unk>", "<eos>"

__all__ = ["BPETokenizer", "CharTokenizer", "Tokenizer", "WordTokenizer", "encode_chunks",
           "fit_tokenizer", "tokenizer_from_json"]


class Tokenizer(Protocol):
    """What the language model needs of a tokenizer."""

    unit: str

    def __len__(self) -> int: ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Iterable[int]) -> str: ...

    def to_json(self) -> str: ...

    @property
    def banned(self) -> list[int]:
        """Ids that sampling must never produce (``<unk>``)."""
        ...


class CharTokenizer:
    """Characters → ids; id 0 is ``<unk>``."""

    unit = "char"

    def __init__(self, chars: list[str]) -> None:
        self.itos = [UNK, *chars]
        self.stoi = {c: i for i, c in enumerate(self.itos)}

    @classmethod
    def fit(cls, chunks: Iterable[str]) -> CharTokenizer:
        seen: set[str] = set()
        for chunk in chunks:
            seen.update(chunk)
        return cls(sorted(seen))

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> list[int]:
        get = self.stoi.get
        return [get(c, 0) for c in text]

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.itos[i] if i > 0 else "\ufffd" for i in ids)

    @property
    def banned(self) -> list[int]:
        return [0]

    def to_json(self) -> str:
        return json.dumps({"unit": "char", "chars": self.itos[1:]}, ensure_ascii=False)


class WordTokenizer:
    """Words → ids; ``<unk>`` is 0, ``<eos>`` 1 and ends every line."""

    unit = "word"

    def __init__(self, words: list[str]) -> None:
        self.itos = [UNK, EOS, *(w for w in words if w not in (UNK, EOS))]
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    @classmethod
    def fit(cls, chunks: Iterable[str], max_vocab: int) -> WordTokenizer:
        if max_vocab < 3:
            raise ConfigError(f"max_vocab must be ≥ 3, got {max_vocab}")
        counts: Counter[str] = Counter()
        for chunk in chunks:
            counts.update(chunk.split())
        counts.pop(UNK, None)
        counts.pop(EOS, None)
        words = [w for w, _ in counts.most_common(max_vocab - 2)]  # stable: first seen wins ties
        return cls(words)

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> list[int]:
        get, ids = self.stoi.get, []
        for line in text.splitlines():
            ids.extend(get(w, 0) for w in line.split())
            ids.append(1)
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        out: list[str] = []
        for i in ids:
            out.append("\n" if i == 1 else self.itos[i] + " ")
        return "".join(out)

    @property
    def banned(self) -> list[int]:
        return []  # <unk> is a real word of PTB's text; it may be sampled

    def to_json(self) -> str:
        return json.dumps({"unit": "word", "words": self.itos[2:]}, ensure_ascii=False)


class BPETokenizer:
    """Byte-level BPE trained with the ``tokenizers`` package (``pip install tokenizers``)."""

    unit = "bpe"

    def __init__(self, tok) -> None:
        self.tok = tok

    @staticmethod
    def _lib():
        try:
            import tokenizers
        except ImportError:
            raise DatasetUnavailable("--unit bpe needs the tokenizers package: pip install tokenizers") from None
        return tokenizers

    @classmethod
    def fit(cls, chunks: Iterable[str], vocab_size: int) -> BPETokenizer:
        lib = cls._lib()
        tok = lib.Tokenizer(lib.models.BPE(unk_token=UNK))
        tok.pre_tokenizer = lib.pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = lib.decoders.ByteLevel()
        trainer = lib.trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[UNK], show_progress=False,
                                          initial_alphabet=lib.pre_tokenizers.ByteLevel.alphabet())
        tok.train_from_iterator(chunks, trainer=trainer)
        return cls(tok)

    def __len__(self) -> int:
        return self.tok.get_vocab_size()

    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text).ids

    def decode(self, ids: Iterable[int]) -> str:
        return self.tok.decode(list(ids))

    @property
    def banned(self) -> list[int]:
        return [0]

    def to_json(self) -> str:
        return json.dumps({"unit": "bpe", "tokenizer": self.tok.to_str()})


def fit_tokenizer(unit: str, chunks: Iterable[str], *, max_vocab: int) -> Tokenizer:
    """A tokenizer of ``unit`` (char|word|bpe) fitted on the training chunks."""
    if unit == "char":
        tok: Tokenizer = CharTokenizer.fit(chunks)
    elif unit == "word":
        tok = WordTokenizer.fit(chunks, max_vocab)
    elif unit == "bpe":
        tok = BPETokenizer.fit(chunks, max_vocab)
    else:
        raise ConfigError(f"unknown unit {unit!r}; choose char, word or bpe")
    if len(tok) < 2 + (unit == "word"):
        raise DataError("the training text is empty")
    return tok


def tokenizer_from_json(text: str) -> Tokenizer:
    """Rebuild a tokenizer saved with ``to_json``."""
    try:
        d = json.loads(text)
        if d["unit"] == "char":
            return CharTokenizer(list(d["chars"]))
        if d["unit"] == "word":
            return WordTokenizer(list(d["words"]))
        if d["unit"] == "bpe":
            return BPETokenizer(BPETokenizer._lib().Tokenizer.from_str(d["tokenizer"]))
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"vocabulary file is damaged ({e})") from None
    raise ModelFileError(f"vocabulary file names an unknown unit {d.get('unit')!r}")


def encode_chunks(tok: Tokenizer, chunks: Iterable[str]) -> np.ndarray:
    """Encode a stream of text chunks into one int32 array of ids (N,)."""
    parts = [np.asarray(tok.encode(chunk), dtype=np.int32) for chunk in chunks]
    ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    unk = int((ids == 0).sum()) if tok.unit == "char" else 0
    if unk:
        log.info("%d characters unknown to the vocabulary were encoded as <unk>", unk)
    return ids
