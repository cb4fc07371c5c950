"""Model directories: round trip, sha256 manifest, corrupted/truncated files, safetensors only."""

from __future__ import annotations

import json
import pickle

import pytest
import torch

from rnnkit.errors import ModelFileError
from rnnkit.training import init_from, load_model_dir, save_model_dir
from rnnkit.training.checkpoint import FORMAT_VERSION
from rnnkit.training.resume import load_checkpoint, save_checkpoint


def _save(path, model=None, **kw):
    model = model or torch.nn.LSTM(3, 4, batch_first=True)
    save_model_dir(path, task="toy", config={"hidden_size": 4, "cell": "lstm"}, state_dict=model.state_dict(),
                   files={"vocab.txt": "a\nб\n", "scaler.bin": b"\x00\x01"}, metrics={"loss": 0.25}, **kw)
    return model


def test_round_trip(tmp_path):
    m = _save(tmp_path / "m")
    md = load_model_dir(tmp_path / "m", task="toy")
    assert md.task == "toy" and md.config == {"hidden_size": 4, "cell": "lstm"}
    assert md.metrics == {"loss": 0.25} and md.format_version == FORMAT_VERSION
    assert md.read_text("vocab.txt") == "a\nб\n" and md.read_bytes("scaler.bin") == b"\x00\x01"
    for k, v in m.state_dict().items():
        assert torch.equal(md.state_dict[k], v)
    listed = json.loads((tmp_path / "m" / "manifest.json").read_text())["files"]
    assert set(listed) == {"config.json", "weights.safetensors", "metrics.json", "vocab.txt", "scaler.bin"}


def test_init_from_copies_weights(tmp_path):
    m = _save(tmp_path / "m")
    fresh = torch.nn.LSTM(3, 4, batch_first=True)
    init_from(fresh, tmp_path / "m", task="toy")
    assert all(torch.equal(a, b) for a, b in zip(fresh.state_dict().values(), m.state_dict().values(), strict=True))
    with pytest.raises(ModelFileError, match="do not fit"):
        init_from(torch.nn.LSTM(3, 5), tmp_path / "m")


@pytest.mark.parametrize("name", ["weights.safetensors", "config.json", "vocab.txt", "metrics.json"])
@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_corrupted_or_truncated_file_is_reported(tmp_path, name, damage):
    _save(tmp_path / "m")
    p = tmp_path / "m" / name
    data = bytearray(p.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x55
    else:
        data = data[: len(data) // 2]
    p.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="sha256 mismatch"):
        md = load_model_dir(tmp_path / "m")
        md.read_text(name)  # task files are verified when read


def test_corrupt_safetensors_with_matching_hash_is_reported(tmp_path):
    """Even if the manifest is rewritten to match, a truncated safetensors file fails cleanly."""
    from rnnkit.training.checkpoint import sha256_bytes

    _save(tmp_path / "m")
    p = tmp_path / "m" / "weights.safetensors"
    p.write_bytes(p.read_bytes()[:-7])
    mf = tmp_path / "m" / "manifest.json"
    manifest = json.loads(mf.read_text())
    manifest["files"]["weights.safetensors"] = sha256_bytes(p.read_bytes())
    mf.write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="corrupt safetensors"):
        load_model_dir(tmp_path / "m")


def test_missing_wrong_task_unknown_version(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        load_model_dir(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFileError, match="no manifest"):
        load_model_dir(tmp_path / "empty")
    _save(tmp_path / "m")
    with pytest.raises(ModelFileError, match="not a 'lm' model"):
        load_model_dir(tmp_path / "m", task="lm")
    mf = tmp_path / "m" / "manifest.json"
    mf.write_text(mf.read_text().replace(f'"format_version": {FORMAT_VERSION}', '"format_version": 99'))
    with pytest.raises(ModelFileError, match="unknown model format version 99"):
        load_model_dir(tmp_path / "m")
    with pytest.raises(ModelFileError, match="invalid task file name"):
        save_model_dir(tmp_path / "x", task="t", config={}, state_dict={}, files={"../evil": "x"})


def test_loading_never_unpickles(tmp_path, monkeypatch):
    """Model dirs and checkpoints load with pickle and torch.load disabled."""
    m = _save(tmp_path / "m")
    opt = torch.optim.Adam(m.parameters())
    m(torch.randn(2, 3, 3))[0].sum().backward()
    opt.step()
    save_checkpoint(tmp_path / "run", {"model": m.state_dict(), "optimizer": opt.state_dict()}, step=1)

    def forbidden(*a, **k):
        raise AssertionError("unpickling is forbidden")

    monkeypatch.setattr(torch, "load", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    load_model_dir(tmp_path / "m")
    state = load_checkpoint(tmp_path / "run")
    opt2 = torch.optim.Adam(m.parameters())
    opt2.load_state_dict(state["optimizer"])
    assert torch.equal(opt2.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
