"""Tagging metrics: token accuracy, accuracy on words unseen in training, a confusion table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple


class TagScores(NamedTuple):
    accuracy: float
    unknown_accuracy: float
    tokens: int
    unknown_tokens: int
    confusion: Counter  # (gold, predicted) → count, errors only
    per_tag: dict       # gold tag → (correct, total)


def score_tags(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]],
               words: Sequence[Sequence[str]], known: set[str]) -> TagScores:
    """Compare tag sequences; a token is "unknown" when its word form was not in training."""
    n = n_ok = u = u_ok = 0
    confusion: Counter = Counter()
    per_tag: dict[str, list[int]] = {}
    for g_s, p_s, w_s in zip(gold, pred, words, strict=True):
        for g, p, w in zip(g_s, p_s, w_s, strict=True):
            n += 1
            n_ok += g == p
            if w not in known:
                u += 1
                u_ok += g == p
            if g != p:
                confusion[(g, p)] += 1
            row = per_tag.setdefault(g, [0, 0])
            row[0] += g == p
            row[1] += 1
    return TagScores(n_ok / max(n, 1), u_ok / max(u, 1), n, u, confusion,
                     {t: (c, m) for t, (c, m) in sorted(per_tag.items())})


def per_tag_rows(scores: TagScores) -> list[dict]:
    """Accuracy per gold tag, with the tag it is most often mistaken for."""
    worst: dict[str, tuple[str, int]] = {}
    for (g, p), c in scores.confusion.most_common():
        worst.setdefault(g, (p, c))
    return [{"tag": t, "tokens": m, "accuracy": c / m, "most confused with": worst.get(t, ("", 0))[0],
             "errors": m - c} for t, (c, m) in scores.per_tag.items()]


def confusion_rows(scores: TagScores, top: int = 10) -> list[dict]:
    """The most frequent errors as table rows."""
    return [{"gold": g, "predicted": p, "count": c} for (g, p), c in scores.confusion.most_common(top)]
