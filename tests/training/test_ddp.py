"""Data-parallel training: 2 gloo processes under torchrun == 1 process on the same global batch."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
from pathlib import Path

import torch

from rnnkit.training import load_model_dir, shard_batch

WORKER = Path(__file__).with_name("ddp_worker.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_gloo_ranks_equal_single_process(tmp_path):
    single, ddp = tmp_path / "single", tmp_path / "ddp"
    subprocess.run([sys.executable, str(WORKER), "--out", str(single), "--seed", "4"], check=True, timeout=120)
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                    "--master-addr", "127.0.0.1", "--master-port", str(_free_port()),
                    str(WORKER), "--out", str(ddp), "--seed", "4", "--json", str(tmp_path / "ddp.json")],
                   check=True, timeout=120)
    a = load_model_dir(single, task="toy").state_dict
    b = load_model_dir(ddp, task="toy").state_dict
    diffs = {k: (a[k] - b[k]).abs().max().item() for k in a}
    print("max |single − ddp| per tensor:", diffs)
    assert max(diffs.values()) <= 1e-6
    spec = importlib.util.spec_from_file_location("ddp_worker", WORKER)
    worker = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("ddp_worker", worker)  # dataclasses look their module up
    spec.loader.exec_module(worker)
    torch.manual_seed(4)
    init = worker.TinyLM().state_dict()  # the weights moved: the comparison is not trivially true
    assert all((a[k] - init[k]).abs().max() > 1e-3 for k in a)
    assert not (ddp / "rank1.txt").exists() and (ddp / "rank0.txt").exists()  # rank 1 wrote nothing
    assert json.loads((tmp_path / "ddp.json").read_text()).keys() == {"loss", "seconds"}


def test_shard_batch_is_generic():
    x, lengths, scalar = torch.arange(10).view(5, 2), torch.tensor([2, 1, 2, 1, 1]), torch.tensor(3.0)
    batch = {"x": x, "pair": (lengths, scalar), "name": "keep", "other": torch.zeros(3)}
    r1 = shard_batch(batch, 1, 2)
    assert torch.equal(r1["x"], x[1::2]) and torch.equal(r1["pair"][0], lengths[1::2])
    assert r1["pair"][1] is scalar and r1["name"] == "keep" and r1["other"].shape == (3,)
    rows = torch.cat([shard_batch(batch, r, 2)["x"] for r in (0, 1)])
    assert sorted(rows[:, 0].tolist()) == x[:, 0].tolist()
