"""Bigram HMM tagger with a suffix model for unknown words (after Brants 2000, TnT).

    t̂ = argmax_t Π_i p(t_i | t_{i−1}) p(w_i | t_i)                (Viterbi, rnnkit.hmm)

Known words: p(w | t) = c(w, t) / c(t). Unknown words: p(w | t) ∝ p(t | suffix) / p(t), where
p(t | suffix) is estimated from rare training words by successive abstraction over the last
1..m letters, p̂(t | s_i) = (p_ML(t | s_i) + θ p̂(t | s_{i−1})) / (1 + θ), θ the standard
deviation of the tag distribution — with separate tables for capitalised and lower-case
words. With ``order=3`` transitions are trigram, interpolated as in TnT:
p(t_3 | t_1, t_2) = λ₁ p̂(t_3) + λ₂ p̂(t_3 | t_2) + λ₃ p̂(t_3 | t_1, t_2), λ by deleted
interpolation, decoded with the second-order Viterbi of ``rnnkit.hmm.second_order``.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import torch

from rnnkit.data.conllu_io import Sentence
from rnnkit.errors import ModelFileError
from rnnkit.hmm import viterbi
from rnnkit.hmm.second_order import viterbi2


class HMMTagger:
    """Supervised bigram HMM tagger; ``fit`` counts, ``predict`` runs Viterbi."""

    def __init__(self, smoothing: float = 0.1, suffix_length: int = 5, rare_threshold: int = 10,
                 order: int = 3) -> None:
        self.smoothing, self.suffix_length, self.rare_threshold = smoothing, suffix_length, rare_threshold
        self.order = order

    def fit(self, sentences: list[Sentence]) -> HMMTagger:
        self.tags_ = sorted({t for s in sentences for t in s.tags})
        tix = {t: i for i, t in enumerate(self.tags_)}
        K = len(self.tags_)
        words = Counter(w for s in sentences for w in s.words)
        self.words_ = {w: i for i, w in enumerate(sorted(words))}
        self.emit_ = np.zeros((len(self.words_), K))
        start, trans = np.full(K, self.smoothing), np.full((K, K), self.smoothing)
        for s in sentences:
            ids = [tix[t] for t in s.tags]
            start[ids[0]] += 1
            np.add.at(trans, (ids[:-1], ids[1:]), 1)
            np.add.at(self.emit_, ([self.words_[w] for w in s.words], ids), 1)
        self.start_, self.trans_ = start / start.sum(), trans / trans.sum(1, keepdims=True)
        self.tag_count_ = self.emit_.sum(0)
        self._fit_suffixes(sentences, words, tix)
        self.trans3_ = trigram_transitions([[tix[t] for t in s.tags] for s in sentences], K)
        return self

    def _fit_suffixes(self, sentences, words, tix) -> None:
        K = len(self.tags_)
        tables = {True: defaultdict(lambda: np.zeros(K)), False: defaultdict(lambda: np.zeros(K))}
        for s in sentences:
            for w, t in zip(s.words, s.tags, strict=True):
                if words[w] <= self.rare_threshold:
                    table = tables[w[:1].isupper()]
                    for i in range(0, min(self.suffix_length, len(w)) + 1):
                        table[w[len(w) - i:]][tix[t]] += 1
        self.suffixes_ = {cap: dict(tab) for cap, tab in tables.items()}
        p = self.tag_count_ / self.tag_count_.sum()
        self.theta_ = float(np.sqrt(((p - p.mean()) ** 2).sum() / max(K - 1, 1)))

    def _unknown(self, w: str) -> np.ndarray:
        """log p(w | t) + const for a word not seen in training: (K,)."""
        table = self.suffixes_[w[:1].isupper()] or self.suffixes_[not w[:1].isupper()]
        prior = self.tag_count_ / self.tag_count_.sum()
        base = table.get("")
        p = base / base.sum() if base is not None else prior
        for i in range(1, min(self.suffix_length, len(w)) + 1):
            c = table.get(w[len(w) - i:])
            if c is None:
                break
            p = (c / c.sum() + self.theta_ * p) / (1 + self.theta_)
        with np.errstate(divide="ignore"):
            return np.log(p) - np.log(prior)

    def _log_emit(self) -> np.ndarray:
        if getattr(self, "_log_emit_cache", None) is None:
            with np.errstate(divide="ignore"):
                self._log_emit_cache = np.log(self.emit_) - np.log(self.tag_count_)  # (V, K)
            self._unknown_cache: dict[str, np.ndarray] = {}
        return self._log_emit_cache

    def frames(self, words: list[str]) -> np.ndarray:
        """log p(w_i | t) for each token: (T, K). Only a sentence-initial capitalised unknown
        word falls back to its lower-case form ("The" → "the"; "Apple" elsewhere stays unknown)."""
        log_emit, rows = self._log_emit(), []
        for pos, w in enumerate(words):
            i = self.words_.get(w)
            if i is None and pos == 0 and w[:1].isupper():
                i = self.words_.get(w.lower())
            if i is not None:
                rows.append(log_emit[i])
            else:
                if w not in self._unknown_cache:
                    self._unknown_cache[w] = self._unknown(w)
                rows.append(self._unknown_cache[w])
        return np.stack(rows)

    def predict(self, sentences: list[list[str]]) -> list[list[str]]:
        if not sentences:
            return []
        frames = [self.frames(ws) for ws in sentences]
        if self.order == 3:
            with np.errstate(divide="ignore"):
                paths = viterbi2(np.log(self.trans3_), frames)
        else:
            paths, _ = viterbi(self.start_, self.trans_, frames)
        return [[self.tags_[k] for k in p] for p in paths]

    # --- model directory (no pickle: arrays in safetensors, the rest in JSON) ----------------
    def state(self) -> tuple[dict[str, torch.Tensor], dict]:
        sfx = {str(cap): sorted(tab) for cap, tab in self.suffixes_.items()}
        arrays = {"emit": self.emit_, "start": self.start_, "trans": self.trans_, "trans3": self.trans3_}
        for cap, keys in sfx.items():
            K = len(self.tags_)
            arrays[f"suffix_{cap}"] = np.stack([self.suffixes_[cap == "True"][k] for k in keys]) if keys \
                else np.zeros((0, K))
        meta = {"tags": self.tags_, "words": sorted(self.words_, key=self.words_.get),
                "suffixes": sfx, "theta": self.theta_}
        return {k: torch.from_numpy(np.asarray(v, dtype=np.float64)) for k, v in arrays.items()}, meta

    @classmethod
    def from_state(cls, arrays: dict[str, torch.Tensor], meta: dict, *, smoothing: float,
                   suffix_length: int, rare_threshold: int, order: int) -> HMMTagger:
        try:
            t = cls(smoothing, suffix_length, rare_threshold, order)
            t.trans3_ = arrays["trans3"].numpy()
            t.tags_, t.theta_ = list(meta["tags"]), float(meta["theta"])
            t.words_ = {w: i for i, w in enumerate(meta["words"])}
            t.emit_, t.start_, t.trans_ = (arrays[k].numpy() for k in ("emit", "start", "trans"))
            t.tag_count_ = t.emit_.sum(0)
            t.suffixes_ = {cap == "True": dict(zip(keys, arrays[f"suffix_{cap}"].numpy(), strict=True))
                           for cap, keys in meta["suffixes"].items()}
        except (KeyError, ValueError, TypeError) as e:
            raise ModelFileError(f"HMM tagger files are incomplete or inconsistent ({e})") from None
        return t


def trigram_transitions(tag_ids: list[list[int]], K: int) -> np.ndarray:
    """Interpolated p(k | i, j) as a (K+1, K+1, K) table; index K is the boundary tag BOS."""
    S = K + 1
    c1, c2, c3 = np.zeros(S), np.zeros((S, S)), np.zeros((S, S, S))
    for ids in tag_ids:
        seq = [K, K, *ids]
        for a, b, c in zip(seq, seq[1:], seq[2:], strict=False):
            c3[a, b, c] += 1
            c2[b, c] += 1
            c1[c] += 1
    ctx2, ctx1, n = c3.sum(2), c2.sum(1), c1.sum()
    lam = np.zeros(3)
    for a, b, c in zip(*np.nonzero(c3), strict=True):
        cases = [(c1[c] - 1) / (n - 1) if n > 1 else 0.0,
                 (c2[b, c] - 1) / (ctx1[b] - 1) if ctx1[b] > 1 else 0.0,
                 (c3[a, b, c] - 1) / (ctx2[a, b] - 1) if ctx2[a, b] > 1 else 0.0]
        lam[int(np.argmax(cases))] += c3[a, b, c]
    lam /= lam.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        p1 = c1[:K] / n
        p2 = np.nan_to_num(c2[:, :K] / ctx1[:, None])
        p3 = np.nan_to_num(c3[:, :, :K] / ctx2[:, :, None])
    return lam[0] * p1[None, None, :] + lam[1] * p2[None, :, :] + lam[2] * p3
