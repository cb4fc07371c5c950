"""From a ``SequenceTask`` to padded tensors and deterministic batches."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from rnnkit.data.sequences import CharVocab, SequenceSet, znorm


class Padded(NamedTuple):
    """x (N, T, D) float or (N, T) int64 tokens, lengths (N,), y (N,)."""

    x: torch.Tensor
    lengths: torch.Tensor
    y: torch.Tensor


def feature_stats(X: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and deviation over all steps of all training series: (D,), (D,)."""
    allx = np.concatenate([np.asarray(x, np.float64) for x in X])
    sd = allx.std(0)
    return allx.mean(0).astype(np.float32), np.where(sd > 1e-8, sd, 1.0).astype(np.float32)


def pad_values(X: list[np.ndarray], normalize: str,
               stats: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    if normalize == "series":
        seqs = [znorm(np.nan_to_num(x)) for x in X]
    elif normalize == "global":
        seqs = [((np.asarray(x, np.float32) - stats[0]) / stats[1]).astype(np.float32) for x in X]
    else:
        seqs = [np.asarray(x, np.float32) for x in X]
    lengths = torch.tensor([len(s) for s in seqs])
    out = torch.zeros(len(seqs), int(lengths.max()), seqs[0].shape[1])
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.from_numpy(s)
    return out, lengths


def chunk_steps(x: torch.Tensor, lengths: torch.Tensor, chunk: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Read ``chunk`` consecutive steps as one: (N, T, D) → (N, ⌈T/c⌉, c·D), lengths ⌈len/c⌉.

    The way a picture is read row by row instead of pixel by pixel; the tail is zero-padded."""
    if chunk == 1:
        return x, lengths
    n, t, d = x.shape
    t2 = -(-t // chunk)
    x = torch.nn.functional.pad(x, (0, 0, 0, t2 * chunk - t))  # (N, T2·c, D)
    return x.reshape(n, t2, chunk * d), (lengths + chunk - 1) // chunk  # (N, T2, c·D), (N,)


def pad_tokens(texts: list[str], vocab: CharVocab) -> tuple[torch.Tensor, torch.Tensor]:
    ids = [vocab.encode(t) for t in texts]
    lengths = torch.tensor([len(i) for i in ids])
    out = torch.zeros(len(ids), int(lengths.max()), dtype=torch.long)
    for n, i in enumerate(ids):
        out[n, : len(i)] = torch.from_numpy(i)
    return out, lengths


def to_padded(s: SequenceSet, *, text: bool, vocab: CharVocab | None, normalize: str,
              stats: tuple[np.ndarray, np.ndarray] | None, y_dtype: torch.dtype, chunk: int = 1) -> Padded:
    x, lengths = pad_tokens(list(s.X), vocab) if text else chunk_steps(*pad_values(s.X, normalize, stats), chunk)
    return Padded(x, lengths, torch.as_tensor(np.asarray(s.y), dtype=y_dtype))
