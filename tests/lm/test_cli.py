"""``rnnkit lm`` end to end on a small text: train, evaluate, sample, and one-line errors."""

from __future__ import annotations

import json
import math

import pytest

from rnnkit.cli import main


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("lm")
    text = d / "abc.txt"
    text.write_text("абв где ёжз\n" * 400, encoding="utf-8")  # a pattern a small model can learn
    rc = main(["lm", "train", "--text", str(text), "--unit", "char", "--hidden", "32", "--layers", "1",
               "--bptt", "24", "--batch-size", "8", "--max-steps", "120", "--lr", "0.01", "--quiet",
               "--out", str(d / "m"), "--json", str(d / "m.json")])
    assert rc == 0
    return d


def test_train_writes_model_dir_and_json(trained):
    m = json.loads((trained / "m.json").read_text())
    assert set(m) == {"bpc", "loss", "tokens_per_second", "seconds"}
    assert m["bpc"] < 0.5 * math.log2(13)  # well below a uniform guess over 12 characters + <unk>
    names = {p.name for p in (trained / "m").iterdir()}
    assert {"config.json", "weights.safetensors", "vocab.json", "manifest.json", "metrics.json",
            "training.png"} <= names


def test_evaluate_and_sample(trained, capsys):
    assert main(["lm", "evaluate", "--model", str(trained / "m"), "--text", str(trained / "abc.txt"),
                 "--json", str(trained / "e.json")]) == 0
    e = json.loads((trained / "e.json").read_text())
    assert e["bpc"] < 0.5 * math.log2(13) and e["tokens_per_second"] > 0
    capsys.readouterr()
    assert main(["lm", "sample", "--model", str(trained / "m"), "--prime", "абв ", "--length", "40",
                 "--temperature", "0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("абв где ёжз")  # greedy continues the pattern
    assert main(["lm", "predict", "--model", str(trained / "m"), "--prime", "X", "--length", "5", "--seed", "3"]) == 0
    assert "never saw" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["lm", "train", "--text", "/nonexistent.txt"], "no such file"),
    (["lm", "train", "--corpus", "nope"], "unknown text dataset"),
    (["lm", "train"], "--corpus"),
    (["lm", "train", "--text", "EMPTY"], "empty"),
])
def test_bad_train_input_exits_2(argv, message, tmp_path, capsys):
    empty = tmp_path / "e.txt"
    empty.write_text("")
    argv = [str(empty) if a == "EMPTY" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_bad_sample_input_exits_2(trained, capsys):
    m = str(trained / "m")
    assert main(["lm", "sample", "--model", m, "--temperature", "-1"]) == 2
    assert main(["lm", "sample", "--model", m, "--prime", "a", "--prime-file", "x"]) == 2
    assert main(["lm", "evaluate", "--model", m]) == 2  # trained on a user text: needs --text
    assert main(["lm", "sample", "--model", str(trained)]) == 2  # not a model directory
    assert len(capsys.readouterr().err.strip().splitlines()) == 4
