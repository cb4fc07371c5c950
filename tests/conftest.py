"""Test-wide fixtures: every test is seeded and prints its seed; warnings are errors (pyproject)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest
import torch

SEED = int(os.environ.get("RNNKIT_TEST_SEED", "0"))
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def _seed_everything(request):
    """Seed torch, numpy and random; print the seed so a failure can be replayed."""
    print(f"[seed] {request.node.nodeid}: RNNKIT_TEST_SEED={SEED}")
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    yield


@pytest.fixture
def seed() -> int:
    return SEED


@pytest.fixture
def shared_dir() -> Path:
    """``../shared`` beside the project; tests using it skip with a message when absent."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared not found at {SHARED}: a fresh clone has no shared data")
    return SHARED
