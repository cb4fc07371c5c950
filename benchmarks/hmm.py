"""rnnkit.hmm against hmmlearn in the same run: K=10 states, 50 symbols, 1,000 sequences × 100.

Times Viterbi, log-likelihood (forward) and one Baum–Welch iteration for both (median of
repetitions after a warm-up), checks that the log-likelihoods agree, and prints sequences/s.

    python benchmarks/hmm.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import numpy as np

from rnnkit.hmm import HiddenMarkovModel
from rnnkit.hmm import algorithms as alg


def _median_time(fn, reps: int) -> float:
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def _fresh(hl, K, V, pi, A, B):
    """An hmmlearn model set to (π, A, B) that runs exactly one EM iteration."""
    m = hl.CategoricalHMM(n_components=K, n_iter=1, init_params="", params="ste", tol=0)
    m.startprob_, m.transmat_, m.emissionprob_, m.n_features = pi, A, B, V
    return m


def _em_step(model, X):
    """One Baum–Welch iteration: E-step then M-step (what hmmlearn's fit(n_iter=1) does)."""
    c = alg.expected_counts(model.startprob_, model.transmat_, model._emission.frames(X))
    pi, A = c.start / c.start.sum(), c.trans / c.trans.sum(1, keepdims=True)
    emission = copy.deepcopy(model._emission)  # leave the benchmarked model unchanged
    emission.fit_weighted(X, c.gamma)
    return pi, A, emission


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    from hmmlearn import hmm as hl

    K, V, N, T = 10, 50, (100 if args.quick else 1000), 100
    rng = np.random.default_rng(0)
    pi, A, B = rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K), K), rng.dirichlet(np.ones(V), K)
    X = [rng.integers(0, V, T) for _ in range(N)]
    ref = _fresh(hl, K, V, pi, A, B)
    Xc, lengths = np.concatenate(X).reshape(-1, 1), [T] * N
    ours = HiddenMarkovModel(K, n_iter=1, tol=0)
    ours.fit(X[:1], [np.zeros(T, dtype=int)])
    ours.startprob_, ours.transmat_ = pi, A
    ours._emission.emissionprob = B
    reps = 3 if args.quick else 5
    rows = []
    for name, f_ours, f_ref in [
        ("viterbi", lambda: ours.decode(X), lambda: ref.decode(Xc, lengths, algorithm="viterbi")),
        ("log-likelihood", lambda: ours.score(X), lambda: ref.score(Xc, lengths)),
        ("baum-welch iteration", lambda: _em_step(ours, X), lambda: _fresh(hl, K, V, pi, A, B).fit(Xc, lengths)),
    ]:
        t_ours, t_ref = _median_time(f_ours, reps), _median_time(f_ref, reps)
        rows.append({"task": name, "rnnkit_seq_per_s": N / t_ours, "hmmlearn_seq_per_s": N / t_ref,
                     "speedup": t_ref / t_ours})
        print(f"{name:22} rnnkit {N / t_ours:10.0f} seq/s   hmmlearn {N / t_ref:10.0f} seq/s   "
              f"speedup {t_ref / t_ours:5.2f}x", flush=True)
    ll_ours, ll_ref = ours.score(X), ref.score(Xc, lengths)
    print(f"log-likelihood rnnkit {ll_ours:.6f} hmmlearn {ll_ref:.6f} |diff| {abs(ll_ours - ll_ref):.2e}")
    if args.json:
        from rnnkit.atomic import write_json
        write_json(args.json, {"rows": rows, "loglik_rnnkit": ll_ours, "loglik_hmmlearn": ll_ref})


if __name__ == "__main__":
    main()
