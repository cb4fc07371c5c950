"""StepMatmul: oneDNN's GEMM and torch.addmm give the same products (the fused kernels on
oneDNN against the reference backend: ``test_fused.py``)."""

from __future__ import annotations

import pytest
import torch

from rnnkit.nn import fused_numba, step_matmul
from rnnkit.nn.step_matmul import StepMatmul

needs_onednn = pytest.mark.skipif(step_matmul._LINEAR is None, reason="this torch build has no oneDNN linear op")


@pytest.fixture
def onednn_always(monkeypatch):
    """Every StepMatmul above zero work uses oneDNN; small problems skip the whole compiled loops."""
    monkeypatch.setattr(step_matmul, "ONEDNN_MIN_WORK", 0)
    monkeypatch.setattr(fused_numba, "use_numba", lambda *a: False)


def test_backend_choice(monkeypatch):
    big = torch.randn(512, 1536)  # a (256, 512, 512) GRU's recurrent weight
    assert StepMatmul(big, 256).onednn is (step_matmul._LINEAR is not None)
    assert not StepMatmul(big, 32).onednn  # too little work per step: MKL is as fast
    assert not StepMatmul(big.double(), 256).onednn  # float32 only
    assert not StepMatmul(big.bfloat16(), 256).onednn
    monkeypatch.setattr(torch.backends.mkldnn, "enabled", False)  # the user's switch for oneDNN
    assert not StepMatmul(big, 256).onednn


@needs_onednn
@pytest.mark.parametrize("transposed", [False, True])
def test_products_match_addmm(onednn_always, transposed):
    W = torch.randn(48, 32).t() if transposed else torch.randn(32, 48)  # (K, N) = (32, 48)
    A, C = torch.randn(6, 32), torch.randn(6, 48)
    mm = StepMatmul(W, 6)
    assert mm.onednn
    want = A @ W
    torch.testing.assert_close(mm(A), want, atol=1e-5, rtol=1e-5)
    out = torch.empty(6, 48)
    assert mm.into(out, A) is out
    torch.testing.assert_close(out, want, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(mm.into(out, A, add=C), want + C, atol=1e-5, rtol=1e-5)
    acc = C.clone()
    torch.testing.assert_close(mm.add_into(acc, A), want + C, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(acc, want + C, atol=1e-5, rtol=1e-5)
