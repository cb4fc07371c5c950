"""A run SIGKILLed at arbitrary moments and resumed ends bit-identical to an uninterrupted run."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from rnnkit.training import load_model_dir

SCRIPT = Path(__file__).with_name("toy_train.py")


def _run(out: Path, *extra: str) -> None:
    subprocess.run([sys.executable, str(SCRIPT), str(out), *extra], check=True, timeout=120)


def _checkpoint_step(out: Path) -> int:
    try:
        return json.loads((out / "checkpoint" / "latest.json").read_text())["step"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return -1


def _run_and_kill(out: Path, delay: float, *extra: str) -> int:
    """Start a (slowed-down) run, SIGKILL it ``delay`` s after its checkpoint advanced."""
    before = _checkpoint_step(out)
    proc = subprocess.Popen([sys.executable, str(SCRIPT), str(out), "--sleep", "0.01", *extra])
    deadline = time.monotonic() + 60
    while _checkpoint_step(out) <= before and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return _checkpoint_step(out)


def test_sigkill_then_resume_is_bit_identical(tmp_path, seed):
    ref, cut = tmp_path / "ref", tmp_path / "cut"
    _run(ref)
    rng = random.Random(seed)
    steps = [_run_and_kill(cut, rng.uniform(0.0, 0.4))]
    for _ in range(2):
        steps.append(_run_and_kill(cut, rng.uniform(0.0, 0.4), "--resume"))
    print("checkpoint steps at the kills:", steps)
    assert 0 < steps[0] < 150 and steps == sorted(steps)
    _run(cut, "--resume")
    a = load_model_dir(ref / "final").state_dict
    b = load_model_dir(cut / "final").state_dict
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert (ref / "metrics.csv").read_text() == (cut / "metrics.csv").read_text()

