"""Smoke test of benchmarks/layers.py at tiny sizes: rows, correctness column, FLOP count."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "layers.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_layers", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_matmul_flops_counts_every_gate_matmul(bench):
    B, T, D, H = 2, 3, 5, 7
    per_step = sum(2 * B * d * 4 * H for d in (D, H))  # X W_x and H W_h, four gates
    assert bench.matmul_flops("LSTM", B, T, D, H, 1, backward=False) == T * per_step
    two = bench.matmul_flops("GRU", B, T, D, H, 2, backward=False)
    assert two == T * 2 * B * 3 * H * ((D + H) + (H + H))
    assert bench.matmul_flops("RNN", B, T, D, H, 1, backward=True) == 3 * T * 2 * B * H * (D + H)


def test_tiny_benchmark_rows_are_complete_and_correct(bench):
    rows = bench.bench_layers([(2, 5, 3, 4, 1)], reps=1, peak=1.0, row_seconds=0.0)
    assert [(r["cell"], r["pass"]) for r in rows] == [
        ("LSTM", "fwd"), ("LSTM", "fwd+bwd"), ("LSTM", "+dx"), *((c, p) for c in ("GRU", "RNN") for p in ("fwd", "fwd+bwd"))]
    assert [r["cell"] for r in bench.bench_layers([(2, 5, 3, 4, 1)], reps=1, peak=1.0, kinds=("GRU",),
                                                  row_seconds=0.0)] == ["GRU"] * 2
    for r in rows:
        assert r["max_abs_err"] <= 1e-5, r
        assert r["torch_ms"] > 0 and r["rnnkit_ms"] > 0 and r["fused_ms"] > 0
        assert r["rounds"] == 1  # so the median of the rounds' ratios is the one round's ratio
        assert r["ratio"] == pytest.approx(r["torch_ms"] / r["rnnkit_ms"])
        assert r["ratio_fused"] == pytest.approx(r["torch_ms"] / r["fused_ms"])
    gen = bench.bench_generation(steps=3, reps=1, row_seconds=0.0)
    assert gen["speedup"] == pytest.approx(gen["torch_us_per_step"] / gen["rnnkit_us_per_step"])


def test_fast_rows_get_more_rounds(bench):
    calls = []
    bench.time_alternating({"a": lambda: calls.append(1)}, reps=3, row_seconds=1.0)
    assert len(calls) == 1 + bench.MAX_REPS  # warm-up, then the most rounds a row gets
    calls.clear()
    bench.time_alternating({"a": lambda: calls.append(1)}, reps=3, row_seconds=0.0)
    assert len(calls) == 1 + 3


def test_rounds_rotate_the_order_of_the_runners(bench):
    order = []
    times = bench.time_alternating({k: (lambda k=k: order.append(k)) for k in "abc"}, reps=3, row_seconds=0.0)
    assert order == list("abc" + "abc" + "bca" + "cab")  # warm-up, then three rotated rounds
    assert {k: len(v) for k, v in times.items()} == {"a": 3, "b": 3, "c": 3}


def test_paired_ratio_is_the_median_of_the_rounds_ratios(bench):
    assert bench.paired_ratio([2.0, 9.0, 3.0], [1.0, 3.0, 3.0]) == 2.0  # ratios 2, 3, 1
    with pytest.raises(ValueError):
        bench.paired_ratio([1.0], [1.0, 2.0])


def test_ratio_quartiles_bracket_the_rounds_ratios(bench):
    num, den = [1.0, 2.0, 3.0, 4.0, 5.0], [1.0] * 5
    assert bench.ratio_quartiles(num, den) == (2.0, 4.0)
    assert bench.ratio_quartiles([3.0], [2.0]) == (1.5, 1.5)  # one round: no spread
