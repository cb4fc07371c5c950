"""rnnkit.hmm: hidden Markov models — pure recursions, emissions and an estimator."""

from rnnkit.hmm.algorithms import (
    backward,
    expected_counts,
    forward,
    log_likelihood,
    posteriors,
    sample,
    viterbi,
)
from rnnkit.hmm.emissions import Categorical, Emission, Gaussian
from rnnkit.hmm.model import HiddenMarkovModel

__all__ = [
    "Categorical", "Emission", "Gaussian", "HiddenMarkovModel", "backward", "expected_counts",
    "forward", "log_likelihood", "posteriors", "sample", "viterbi",
]
