"""CLI grammar basics: bad input → one line on stderr, exit 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from typing import Literal

import pytest

from rnnkit.cli import main
from rnnkit.config import build_config, config_from_dict, config_to_dict
from rnnkit.errors import ConfigError
from rnnkit.training import TrainConfig


def test_unknown_command_exits_2_one_line(capsys):
    with pytest.raises(SystemExit) as e:
        main(["no-such-command"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error" in err[0]


def test_version_names_rnnkit_and_torch(capsys):
    import torch

    import rnnkit

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.startswith(f"rnnkit {rnnkit.__version__} (torch {torch.__version__}")


@pytest.mark.parametrize("argv", [
    ["classify", "train", "--train", "{d}/x.tsv", "--test", "{d}/x.tsv"],
    ["classify", "train", "--train", "{d}/x.csv", "--test", "{d}/x.csv"],
    ["tag", "train", "--train", "{d}/x.txt", "--model", "hmm"],
    ["forecast", "train", "--csv", "{d}/x.csv", "--target", "y"],
    ["lm", "train", "--text", "{d}/x.txt"],
])
def test_a_binary_input_file_is_one_line_naming_it(tmp_path, capsys, argv):
    for name in ("x.tsv", "x.csv", "x.txt"):
        (tmp_path / name).write_bytes(b"ab\tc\n\xd0\x01\xff\n")
    assert main([a.format(d=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "x." in err and "not UTF-8 text (byte " in err


def test_untagged_input_that_is_not_utf8_is_a_data_error(tmp_path):
    from rnnkit.data.conllu_io import read_plain
    from rnnkit.errors import DataError

    p = tmp_path / "s.txt"
    p.write_bytes(b"fine line\n\xd0\x01\n")
    with pytest.raises(DataError, match="s.txt: not UTF-8 text"):
        read_plain(p)
    p.write_text("Two words\n\nthree more words\n")
    assert [s.words for s in read_plain(p)] == [["Two", "words"], ["three", "more", "words"]]


def test_datasets_list_runs(capsys):
    assert main(["datasets", "list"]) == 0


def test_module_entry_point_error_has_no_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "rnnkit", "tour", "--only", "nope", "--out", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "unknown tour section" in r.stderr


@dataclass(frozen=True)
class _Model:
    hidden_size: int = 8
    cell: Literal["rnn", "lstm"] = "lstm"
    dropout: float | None = None
    train: TrainConfig = field(default_factory=TrainConfig)


def test_config_precedence_toml_then_flags():
    cfg = build_config(_Model, toml={"hidden_size": 16, "train": {"lr": 0.1, "epochs": 3}},
                       flags={"epochs": 5})
    assert cfg.hidden_size == 16 and cfg.train.lr == 0.1 and cfg.train.epochs == 5
    assert config_from_dict(_Model, config_to_dict(cfg)) == cfg


@pytest.mark.parametrize("toml, msg", [
    ({"hidden_sise": 3}, "unknown setting"),
    ({"cell": "gru"}, "not one of"),
    ({"hidden_size": "x"}, "expected an integer"),
    ({"train": {"epochs": 0}}, "epochs must be"),
])
def test_config_errors_name_the_problem(toml, msg):
    with pytest.raises(ConfigError, match=msg):
        build_config(_Model, toml=toml)


def _train_parser():
    import argparse

    from rnnkit.cli.common import add_train_flags

    p = argparse.ArgumentParser()
    add_train_flags(p, _Model)
    return p


def test_start_train_resume_config_and_flag_conflicts(tmp_path):
    import torch

    from rnnkit.cli.common import start_train
    from rnnkit.config import config_to_dict
    from rnnkit.training import StepOutput, TensorBatches, fit

    p = _train_parser()
    setup = start_train(p.parse_args(["--hidden-size", "5", "--epochs", "1", "--out", str(tmp_path)]), _Model)
    assert setup.config.hidden_size == 5 and setup.out == tmp_path
    lin = torch.nn.Linear(2, 1)
    fit(lin, lambda m, b: StepOutput(m(b[0]).pow(2).mean(), 4), TensorBatches(torch.randn(8, 2), batch_size=4),
        setup.config.train, out=tmp_path, run_config=config_to_dict(setup.config))
    # --resume takes the saved config; explicit flags still override it
    again = start_train(p.parse_args(["--resume", str(tmp_path), "--epochs", "3"]), _Model)
    assert again.config.hidden_size == 5 and again.config.train.epochs == 3 and again.out == tmp_path
    with pytest.raises(ConfigError, match="exclude each other"):
        start_train(p.parse_args(["--resume", str(tmp_path), "--init-from", str(tmp_path)]), _Model)


def test_finish_train_writes_model_dir_and_flat_json(tmp_path):
    import json

    import torch

    from rnnkit.cli.common import finish_train, start_train
    from rnnkit.training import load_model_dir

    setup = start_train(_train_parser().parse_args(["--out", str(tmp_path / "m"), "--json",
                                                    str(tmp_path / "r.json")]), _Model)
    finish_train(setup, task="toy", model=torch.nn.Linear(2, 1), metrics={"loss": 0.5, "acc": 1})
    md = load_model_dir(tmp_path / "m", task="toy")
    assert md.config["hidden_size"] == 8 and md.metrics == {"loss": 0.5, "acc": 1.0}
    out = json.loads((tmp_path / "r.json").read_text())
    assert out["loss"] == 0.5 and out["acc"] == 1 and out["seconds"] >= 0


def test_missing_resume_dir_is_a_user_error(tmp_path):
    from rnnkit.cli.common import start_train
    from rnnkit.errors import ModelFileError

    with pytest.raises(ModelFileError, match="no such directory"):
        start_train(_train_parser().parse_args(["--resume", str(tmp_path / "nope")]), _Model)


def test_output_paths_that_cannot_be_written_are_refused_before_training(tmp_path, capsys):
    from rnnkit.cli.common import start_train

    afile = tmp_path / "afile"
    afile.write_text("x")
    p = _train_parser()
    with pytest.raises(ConfigError, match="exists and is not a directory"):
        start_train(p.parse_args(["--out", str(afile)]), _Model)
    with pytest.raises(ConfigError, match="afile is not a directory"):
        start_train(p.parse_args(["--out", str(afile / "sub" / "m")]), _Model)
    with pytest.raises(ConfigError, match="is a directory"):
        start_train(p.parse_args(["--json", str(tmp_path)]), _Model)
    assert start_train(p.parse_args(["--out", str(tmp_path / "new" / "m")]), _Model).out == tmp_path / "new" / "m"
    assert main(["tour", "--quick", "--out", str(afile)]) == 2
    assert capsys.readouterr().err == f"rnnkit: error: --out {afile}: exists and is not a directory\n"
    assert main(["tour", "--quick", "--device", "tpu", "--out", str(tmp_path / "t")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("rnnkit: error: unknown device 'tpu'")  # before any section runs


def test_init_from_flag_loads_weights_of_the_same_task(tmp_path):
    import torch

    from rnnkit.cli.common import apply_init_from
    from rnnkit.errors import ModelFileError
    from rnnkit.training import save_model_dir

    src = torch.nn.Linear(3, 2)
    save_model_dir(tmp_path / "m", task="toy", config={}, state_dict=src.state_dict())
    args = _train_parser().parse_args(["--init-from", str(tmp_path / "m")])
    dst = torch.nn.Linear(3, 2)
    apply_init_from(dst, args, task="toy")
    assert torch.equal(dst.weight, src.weight) and torch.equal(dst.bias, src.bias)
    with pytest.raises(ModelFileError, match="not a 'lm' model"):
        apply_init_from(dst, args, task="lm")


def _small_train() -> TrainConfig:
    return TrainConfig(lr=0.5, epochs=3)


@dataclass(frozen=True)
class _Task:
    train: TrainConfig = field(default_factory=_small_train)


def test_nested_config_keeps_the_outer_default_and_flags_override_it():
    assert build_config(_Task).train.lr == 0.5
    cfg = build_config(_Task, flags={"epochs": 7})
    assert cfg.train.lr == 0.5 and cfg.train.epochs == 7


def test_flag_help_shows_choices_and_the_defaults_a_command_really_uses():
    import argparse

    from rnnkit.config import add_config_flags

    p = argparse.ArgumentParser()
    add_config_flags(p, _Task)  # its nested TrainConfig defaults to lr 0.5, 3 epochs
    text = " ".join(p.format_help().split())
    assert "--lr LR learning rate; default 0.5" in text and "passes over the training data; default 3" in text
    p = argparse.ArgumentParser()
    add_config_flags(p, _Model, defaults={"cell": "rnn"})
    text = " ".join(p.format_help().split())
    assert "--cell {rnn,lstm} default rnn" in text and "--hidden-size HIDDEN_SIZE default 8" in text
