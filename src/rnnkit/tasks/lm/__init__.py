"""Language modelling and text generation: tokenizers → deep RNN → softmax, TBPTT, sampling."""

from rnnkit.tasks.lm.api import (
    LMData,
    Trained,
    evaluate_stream,
    load,
    prepare,
    save,
    stream_metrics,
    train,
)
from rnnkit.tasks.lm.config import LMConfig
from rnnkit.tasks.lm.loss import softmax_cross_entropy
from rnnkit.tasks.lm.model import LanguageModel
from rnnkit.tasks.lm.sampling import SampleConfig, filter_logits, generate, next_token

__all__ = [
    "LMConfig", "LMData", "LanguageModel", "SampleConfig", "Trained", "evaluate_stream", "filter_logits",
    "generate", "load", "next_token", "prepare", "save", "softmax_cross_entropy", "stream_metrics", "train",
]
