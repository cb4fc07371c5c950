"""Atomic writes: a crash while writing leaves the previous file (or checkpoint) intact."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch

from rnnkit import atomic
from rnnkit.errors import ModelFileError
from rnnkit.training import load_model_dir, save_model_dir
from rnnkit.training.resume import load_checkpoint, save_checkpoint
from rnnkit.training.statefile import pack, unpack


class Crash(Exception):
    pass


def _crash_on_replace(monkeypatch, after: int = 0):
    """Make the (after+1)-th os.replace raise, as if the process died right before the rename."""
    real, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) > after:
            raise Crash(str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)


def test_crash_before_rename_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    p = tmp_path / "f.json"
    atomic.write_json(p, {"v": 1})
    _crash_on_replace(monkeypatch)
    with pytest.raises(Crash):
        atomic.write_json(p, {"v": 2})
    assert p.read_text().strip().endswith("}") and '"v": 1' in p.read_text()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["f.json"]


@pytest.mark.parametrize("after", [0, 1, 2, 3])
def test_model_dir_half_updated_is_detected(tmp_path, monkeypatch, after):
    """Dying after some files of a re-save: the old dir still loads only if nothing changed."""
    save_model_dir(tmp_path / "m", task="t", config={"a": 1}, state_dict={"w": torch.zeros(3)})
    _crash_on_replace(monkeypatch, after)
    with pytest.raises(Crash):
        save_model_dir(tmp_path / "m", task="t", config={"a": 2}, state_dict={"w": torch.ones(3)})
    monkeypatch.undo()
    if after == 0:  # nothing replaced yet: the old directory is intact
        assert load_model_dir(tmp_path / "m").config == {"a": 1}
    else:  # some files are new, the manifest is old: reported, never mixed silently
        with pytest.raises(ModelFileError, match="sha256 mismatch"):
            load_model_dir(tmp_path / "m")


@pytest.mark.parametrize("after", [0, 1])
def test_checkpoint_crash_keeps_previous_checkpoint(tmp_path, monkeypatch, after):
    save_checkpoint(tmp_path, {"x": torch.zeros(2), "n": 1}, step=1)
    _crash_on_replace(monkeypatch, after)  # 0: during the state file; 1: during latest.json
    with pytest.raises(Crash):
        save_checkpoint(tmp_path, {"x": torch.ones(2), "n": 2}, step=2)
    monkeypatch.undo()
    state = load_checkpoint(tmp_path)
    assert state["n"] == 1 and torch.equal(state["x"], torch.zeros(2))


def test_truncated_checkpoint_is_reported(tmp_path):
    f = save_checkpoint(tmp_path, {"x": torch.arange(10.0)}, step=5)
    f.write_bytes(f.read_bytes()[:-3])
    with pytest.raises(ModelFileError, match="sha256 mismatch"):
        load_checkpoint(tmp_path)


def test_pack_unpack_round_trip_is_exact():
    m = torch.nn.GRU(2, 3)
    opt = torch.optim.AdamW(m.parameters(), lr=0.1)
    m(torch.randn(4, 1, 2))[0].sum().backward()
    opt.step()
    obj = {"opt": opt.state_dict(), "t": (1, 2.5, None), "nan": math.nan, "inf": -math.inf,
           "np": np.arange(5, dtype=np.int64), "f": 0.1 + 0.2, "__t__": "not a marker", 3: "int key"}
    text, tensors = pack(obj)
    back = unpack(text, tensors)
    assert back["t"] == (1, 2.5, None) and back["f"] == 0.1 + 0.2 and back[3] == "int key"
    assert math.isnan(back["nan"]) and back["inf"] == -math.inf and back["__t__"] == "not a marker"
    assert np.array_equal(back["np"], obj["np"])
    assert back["opt"]["param_groups"] == obj["opt"]["param_groups"]
    for k, st in obj["opt"]["state"].items():
        for name, v in st.items():
            assert torch.equal(back["opt"]["state"][k][name], v)
    with pytest.raises(TypeError):
        pack({"bad": object()})
