"""Regression on texts: numbers written in words (num2words, English and Russian) → the value.

Targets are log10(1 + n). Numbers 0..999,999 are sampled once (seed 0); those whose value ends
in 7 are held out for testing, so test values were never seen in training.
"""

from __future__ import annotations

import numpy as np

from rnnkit.data.registry import DatasetInfo, register
from rnnkit.data.sequences import SequenceSet, SequenceTask


def load_number_words(lang: str, n: int = 6000) -> SequenceTask:
    from num2words import num2words

    rng = np.random.default_rng(0)
    values = np.unique(np.concatenate([np.arange(0, 200), rng.integers(0, 10**6, n)]))
    texts = [num2words(int(v), lang=lang) for v in values]
    test = values % 10 == 7
    y = np.log10(1 + values.astype(float))
    pick = lambda m: SequenceSet([t for t, s in zip(texts, m, strict=True) if s], y[m])  # noqa: E731
    return SequenceTask(f"number-words-{lang}", "regression", "text", pick(~test), pick(test))


for _lang in ("en", "ru"):
    register(DatasetInfo(f"number-words-{_lang}", "regression", f"numbers in {_lang} words → log10(1+value)",
                         "num2words", lambda lang=_lang: load_number_words(lang), ("num2words",),
                         "≈6,200 numbers < 10⁶, values ending in 7 held out"))
