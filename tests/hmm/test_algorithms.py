"""HMM recursions against brute-force enumeration, a textbook example, and hmmlearn."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rnnkit.hmm import forward, log_likelihood, posteriors, viterbi
from rnnkit.hmm.algorithms import expected_counts


def _random_hmm(K=3, V=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K), K), rng.dirichlet(np.ones(V), K)


def _frames(B, seqs):
    return [np.log(B[:, x].T) for x in seqs]


def _brute(pi, A, B, x):
    """All K^T paths: p(O), p(S_t = k | O) and the best path."""
    K, T = len(pi), len(x)
    total, post, best = 0.0, np.zeros((T, K)), (-1.0, None)
    for path in itertools.product(range(K), repeat=T):
        p = pi[path[0]] * B[path[0], x[0]]
        for t in range(1, T):
            p *= A[path[t - 1], path[t]] * B[path[t], x[t]]
        total += p
        for t, k in enumerate(path):
            post[t, k] += p
        if p > best[0]:
            best = (p, path)
    return total, post / total, best


def test_against_brute_force_enumeration_ragged_batch():
    pi, A, B = _random_hmm()
    rng = np.random.default_rng(1)
    seqs = [rng.integers(0, 4, n) for n in (5, 1, 3, 6)]
    ll = log_likelihood(pi, A, _frames(B, seqs))
    gammas, _ = posteriors(pi, A, _frames(B, seqs))
    paths, logp = viterbi(pi, A, _frames(B, seqs))
    for n, x in enumerate(seqs):
        total, post, (pbest, pbest_path) = _brute(pi, A, B, x)
        assert abs(ll[n] - np.log(total)) < 1e-10
        np.testing.assert_allclose(gammas[n], post, atol=1e-10)
        assert tuple(paths[n]) == pbest_path and abs(logp[n] - np.log(pbest)) < 1e-10


def test_wikipedia_healthy_fever_viterbi():
    """The classic example (Wikipedia "Viterbi algorithm"): normal, cold, dizzy."""
    pi = np.array([0.6, 0.4])  # Healthy, Fever
    A = np.array([[0.7, 0.3], [0.4, 0.6]])
    B = np.array([[0.5, 0.4, 0.1], [0.1, 0.3, 0.6]])  # normal, cold, dizzy
    paths, logp = viterbi(pi, A, _frames(B, [np.array([0, 1, 2])]))
    assert paths[0].tolist() == [0, 0, 1]  # Healthy, Healthy, Fever
    assert abs(np.exp(logp[0]) - 0.01512) < 1e-12  # the published probability


def test_long_sequence_is_stable():
    pi, A, B = _random_hmm(K=4, V=5, seed=2)
    x = np.random.default_rng(0).integers(0, 5, 100_000)
    ll = log_likelihood(pi, A, _frames(B, [x]))[0]
    assert np.isfinite(ll) and ll < -1e4
    paths, logp = viterbi(pi, A, _frames(B, [x]))
    assert len(paths[0]) == 100_000 and np.isfinite(logp[0])


def test_expected_transition_counts_equal_brute_force():
    pi, A, B = _random_hmm(K=2, V=3, seed=4)
    x = np.array([0, 2, 1, 1])
    counts = expected_counts(pi, A, _frames(B, [x]))
    K, T = 2, len(x)
    xi = np.zeros((K, K))
    total = 0.0
    for path in itertools.product(range(K), repeat=T):
        p = pi[path[0]] * B[path[0], x[0]]
        for t in range(1, T):
            p *= A[path[t - 1], path[t]] * B[path[t], x[t]]
        total += p
        for t in range(1, T):
            xi[path[t - 1], path[t]] += p
    np.testing.assert_allclose(counts.trans, xi / total, atol=1e-10)
    assert abs(forward(pi, A, _frames(B, [x]))[1][0] - np.log(total)) < 1e-12


def test_parity_with_hmmlearn():
    hmm = pytest.importorskip("hmmlearn.hmm", reason="hmmlearn not installed")
    pi, A, B = _random_hmm(K=4, V=6, seed=3)
    rng = np.random.default_rng(5)
    seqs = [rng.integers(0, 6, n) for n in (30, 7, 50)]
    ref = hmm.CategoricalHMM(n_components=4)
    ref.startprob_, ref.transmat_, ref.emissionprob_ = pi, A, B
    ref.n_features = 6
    ll = log_likelihood(pi, A, _frames(B, seqs))
    paths, logp = viterbi(pi, A, _frames(B, seqs))
    for n, x in enumerate(seqs):
        assert abs(ref.score(x.reshape(-1, 1)) - ll[n]) <= 1e-8
        ref_logp, ref_path = ref.decode(x.reshape(-1, 1), algorithm="viterbi")
        assert abs(ref_logp - logp[n]) <= 1e-8 and ref_path.tolist() == paths[n].tolist()
