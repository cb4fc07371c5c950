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
