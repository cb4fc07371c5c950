"""The estimator: supervised MLE, Baum–Welch monotonicity, Gaussian emissions, errors."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit.errors import ConfigError, DataError
from rnnkit.hmm import HiddenMarkovModel


def _truth():
    m = HiddenMarkovModel(2, random_state=0)
    m.fit([np.array([0, 1])], [np.array([0, 1])])  # give it shapes, then set parameters
    m.startprob_[:] = [0.8, 0.2]
    m.transmat_[:] = [[0.9, 0.1], [0.2, 0.8]]
    m._emission.emissionprob = np.array([[0.7, 0.2, 0.1], [0.1, 0.2, 0.7]])
    m._publish()
    return m


def test_supervised_mle_recovers_counts_with_smoothing():
    X = [np.array([0, 1, 1]), np.array([2, 2])]
    y = [np.array([0, 0, 1]), np.array([1, 1])]
    m = HiddenMarkovModel(2, smoothing=0.0).fit(X, y)
    np.testing.assert_allclose(m.startprob_, [0.5, 0.5])
    np.testing.assert_allclose(m.transmat_, [[0.5, 0.5], [0.0, 1.0]])
    np.testing.assert_allclose(m.emissionprob_, [[0.5, 0.5, 0.0], [0.0, 1 / 3, 2 / 3]])
    m1 = HiddenMarkovModel(2, smoothing=1.0).fit(X, y)
    assert m1.transmat_[1, 0] == pytest.approx(1 / 3)  # (0 + 1) / (0 + 1 + 1 + 1)


def test_baum_welch_monotone_and_recovers_structure():
    truth = _truth()
    X = [truth.sample(60, random_state=s)[0] for s in range(40)]
    m = HiddenMarkovModel(2, n_iter=60, tol=1e-8, n_init=3, random_state=0).fit(X)
    assert np.all(np.diff(m.monitor_) >= -1e-8)  # EM never decreases the likelihood
    assert m.score(X) >= truth.score(X) - 5.0
    diag = np.sort(np.diag(m.transmat_))
    assert diag[0] > 0.7  # both states persistent, like the truth
    assert m.bic(X) > m.aic(X) > 0
    gammas = m.predict_proba(X[:2])
    np.testing.assert_allclose(gammas[0].sum(1), 1.0)


def test_gaussian_emissions_separate_two_regimes():
    rng = np.random.default_rng(0)
    states = np.repeat([0, 1, 0, 1], 50)
    x = rng.normal(np.where(states == 0, -3.0, 3.0), 1.0)[:, None]
    m = HiddenMarkovModel(2, "gaussian", n_iter=50, random_state=1).fit([x])
    _, paths = m.decode([x])
    agree = max((paths[0] == states).mean(), (paths[0] != states).mean())
    assert agree > 0.97
    assert sorted(np.round(m.means_[:, 0])) == [-3.0, 3.0]


def test_errors_are_clear():
    with pytest.raises(ConfigError, match="not fitted"):
        HiddenMarkovModel(2).score([np.array([0, 1])])
    with pytest.raises(DataError, match="same length"):
        HiddenMarkovModel(2).fit([np.array([0, 1])], [np.array([0])])
    m = HiddenMarkovModel(2).fit([np.array([0, 1])], [np.array([0, 1])])
    with pytest.raises(DataError, match="out of range"):
        m.score([np.array([0, 5])])
    with pytest.raises(DataError, match=r"shape \(T,\) or \(T, 1\) symbols; got \(2, 2\)"):
        HiddenMarkovModel(2).fit([np.array([[0, 1], [1, 0]])])
    with pytest.raises(DataError, match=r"\(T, D\) values; got \(3, 2, 2\)"):
        HiddenMarkovModel(2, "gaussian").fit([np.zeros((3, 2, 2))])


def test_a_column_of_symbols_reads_as_a_sequence():
    """hmmlearn takes categorical data as (T, 1) columns; the same column gives the same model."""
    x = np.random.default_rng(0).integers(0, 3, 60)
    a = HiddenMarkovModel(2, n_iter=5, random_state=0).fit([x])
    b = HiddenMarkovModel(2, n_iter=5, random_state=0).fit([x[:, None]])
    np.testing.assert_array_equal(a.transmat_, b.transmat_)
    assert a.score([x]) == b.score([x[:, None]])
