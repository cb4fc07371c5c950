"""`torchrun -m rnnkit lm train`: 2 gloo ranks (TBPTT rows sharded, state carried per rank)
take the same steps as one process on the same global batch."""

from __future__ import annotations

import json
import math
import random
import socket
import subprocess
import sys

from safetensors.torch import load_file


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lm_train_under_torchrun_equals_single_process(tmp_path):
    rng = random.Random(0)
    words = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "and", "cat"]
    text = tmp_path / "text.txt"
    text.write_text("\n".join(" ".join(rng.choices(words, k=9)) for _ in range(300)) + "\n")
    flags = ["lm", "train", "--text", str(text), "--unit", "char", "--hidden", "16", "--bptt", "10",
             "--batch-size", "8", "--max-steps", "40", "--optimizer", "adam", "--lr", "0.01",
             "--seed", "3", "--device", "cpu"]
    env_1 = {"OMP_NUM_THREADS": "1"}
    single = subprocess.run([sys.executable, "-m", "rnnkit", *flags, "--quiet", "--out", str(tmp_path / "one")],
                            capture_output=True, text=True, timeout=120, env={**_env(), **env_1})
    assert single.returncode == 0, single.stderr
    ddp = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                          "--master-addr", "127.0.0.1", "--master-port", str(_free_port()),
                          "-m", "rnnkit", *flags, "--out", str(tmp_path / "two")],
                         capture_output=True, text=True, timeout=180, env=_env())
    assert ddp.returncode == 0, ddp.stderr
    assert ddp.stdout.count("tokens/s") == 1  # only rank 0 prints its table
    a, b = (load_file(str(tmp_path / d / "weights.safetensors")) for d in ("one", "two"))
    diff = max((a[k] - b[k]).abs().max().item() for k in a)
    print(f"max |single − ddp| over {len(a)} tensors: {diff:.2e}")
    assert diff <= 1e-5
    for d in ("one", "two"):  # both really trained the 40 steps
        last = (tmp_path / d / "metrics.csv").read_text().strip().splitlines()[-1].split(",")
        vocab = len(json.loads((tmp_path / d / "vocab.json").read_text())["chars"])
        print(d, "step", last[2], "val_loss", last[5], "ln(vocab)", math.log(vocab))
        assert last[2] == "40" and float(last[5]) < math.log(vocab) - 0.3  # learned something


def _env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("RANK", "WORLD_SIZE", "MASTER_"))}
