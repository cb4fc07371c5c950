"""rnnkit.allocator: glibc's mallopt through ctypes, and the RNNKIT_MALLOC switch."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = ("import rnnkit.allocator as a; ok = a.configure_from_env(); "
         "print(ok, a.freed_memory_kept())")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
@pytest.mark.parametrize("mode,want", [("keep", "True True"), ("default", "False False")])
def test_env_switch_in_a_fresh_process(mode, want):
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60,
                         env={"RNNKIT_MALLOC": mode, "PATH": ""}, check=True).stdout.strip()
    assert out == want


FAULTS = """
import resource, statistics, torch, rnnkit.allocator as a
from rnnkit.nn import GRU
a.configure_from_env()
torch.manual_seed(0)
layer, x = GRU(64, 256, reset_after=True, backend="fused"), torch.randn(64, 100, 64)
def step():
    out, _ = layer(x)
    out.sum().backward()
for _ in range(12):
    step()
per_step = []
for _ in range(8):
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    step()
    per_step.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
print(int(statistics.median(per_step)), per_step)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_kept_memory_saves_page_faults_in_training_steps():
    """A fused GRU training step (B 64, T 100, H 256) allocates several 6–20 MB buffers; with
    glibc's defaults their pages are often faulted in again on every step (how often depends on
    its adaptive mmap threshold), with kept memory they are reused once warm."""
    runs = {mode: subprocess.run([sys.executable, "-c", FAULTS], capture_output=True, text=True,
                                 timeout=120, check=True, env={"RNNKIT_MALLOC": mode, "PATH": ""}
                                 ).stdout.strip() for mode in ("default", "keep")}
    print("minor page faults per training step (median, each of 8 steps):", runs)
    faults = {mode: int(out.split()[0]) for mode, out in runs.items()}
    # ~5,000 pages per step would be faulted in without reuse. The median, because even with
    # kept memory a single step faults ~4,800 pages now and then (3 of 64 steps in 8 runs).
    assert faults["keep"] < 100
