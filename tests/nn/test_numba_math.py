"""Known answers for the compiled loops' math (``rnnkit.nn.numba_math``): σ, tanh, small matmuls."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit.nn.numba_math import (
    add_mat_mat,
    copy_,
    sigmoid_,
    sigmoid_add_,
    tanh_,
    tanh_add_,
    tanh_into,
)


def _exact(name: str, x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    return 1 / (1 + np.exp(-x)) if name == "sigmoid" else np.tanh(x)


@pytest.mark.parametrize("name,fn", [("sigmoid", sigmoid_), ("tanh", tanh_)])
def test_float32_activations_are_within_2e_7(name, fn):
    x = np.concatenate([np.linspace(-100, 100, 20001), np.linspace(-1e-3, 1e-3, 101)]).astype(np.float32)
    got = x.copy()
    fn(got)
    assert np.abs(got - _exact(name, x)).max() < 2e-7


@pytest.mark.parametrize("name,fn", [("sigmoid", sigmoid_), ("tanh", tanh_)])
def test_float64_activations_are_libm(name, fn):
    x = np.linspace(-40, 40, 1001)
    got = x.copy()
    fn(got)
    assert np.abs(got - _exact(name, x)).max() < 1e-15


@pytest.mark.parametrize("dtype,tol", [(np.float32, 2e-7), (np.float64, 1e-15)])
def test_fused_bias_and_out_of_place_forms_equal_the_plain_ones(dtype, tol):
    """σ(x + b) and tanh(x + b) in place, and dst = tanh(src), against float64 numpy."""
    rng = np.random.default_rng(1)
    x, b = (rng.standard_normal(1000) * 6).astype(dtype), rng.standard_normal(1000).astype(dtype)
    s, t, d = x.copy(), x.copy(), np.empty_like(x)
    sigmoid_add_(s, b)
    tanh_add_(t, b)
    tanh_into(d, x)
    z = x.astype(np.float64) + b.astype(np.float64) if dtype == np.float64 else (x + b).astype(np.float64)
    assert np.abs(s - _exact("sigmoid", z)).max() < tol and np.abs(t - _exact("tanh", z)).max() < tol
    assert np.abs(d - _exact("tanh", x)).max() < tol


def test_extreme_inputs_saturate_and_nan_propagates():
    x = np.array([np.inf, -np.inf, 1e30, -1e30, np.nan], np.float32)
    s, t = x.copy(), x.copy()
    sigmoid_(s)
    tanh_(t)
    np.testing.assert_allclose(s[:4], [1, 0, 1, 0], atol=1e-30)
    np.testing.assert_array_equal(t[:4], [1, -1, 1, -1])
    assert np.isnan(s[4]) and np.isnan(t[4])


@pytest.mark.parametrize("K,N", [(64, 256), (7, 5), (3, 9), (256, 64)])
def test_small_matmuls_equal_numpy(K, N):
    rng = np.random.default_rng(3)
    V, W = rng.standard_normal((4, K)), rng.standard_normal((K, N))
    out = np.ones((4, N))
    add_mat_mat(V, W, out)
    np.testing.assert_allclose(out, 1 + V @ W, rtol=1e-12, atol=1e-12)
    o = np.zeros((1, N))  # one row (B = 1), as a generation step has
    add_mat_mat(V[1:2], W, o)
    np.testing.assert_allclose(o, V[1:2] @ W, rtol=1e-12, atol=1e-12)


def test_copy_fills_rows_and_refuses_a_size_mismatch():
    src = np.arange(12, dtype=np.float32).reshape(3, 4)
    dst = np.zeros((2, 3, 4), np.float32)
    copy_(dst[1], src)
    copy_(dst[0, 2], src[1])
    assert np.array_equal(dst[1], src) and np.array_equal(dst[0, 2], src[1]) and not dst[0, :2].any()
    with pytest.raises(ValueError, match="differ in size"):
        copy_(dst[0], src[:2])
