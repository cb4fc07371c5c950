"""Many-to-one models: pooling known answers, padding invariance, metrics, CLI end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from rnnkit.cli import main
from rnnkit.data import registry
from rnnkit.errors import DatasetUnavailable
from rnnkit.tasks.classify.metrics import classification_metrics, regression_metrics
from rnnkit.tasks.classify.model import SequenceModel
from rnnkit.tasks.classify.pooling import Pool


def test_pooling_known_answers():
    out = torch.tensor([[[1.0, 10.0], [3.0, 30.0], [99.0, 99.0]]])  # (1, 3, 2), last step is padding
    lengths = torch.tensor([2])
    assert Pool("mean", 2, False)(out, lengths).tolist() == [[2.0, 20.0]]
    assert Pool("max", 2, False)(out, lengths).tolist() == [[3.0, 30.0]]
    assert Pool("last", 2, False)(out, lengths).tolist() == [[3.0, 30.0]]
    # bidirectional: forward half at the last valid step, backward half at t = 0
    assert Pool("last", 2, True)(out, lengths).tolist() == [[3.0, 10.0]]
    att = Pool("attention", 2, False)
    pooled = att(out, lengths)
    assert 1.0 <= pooled[0, 0] <= 3.0  # a convex combination of the valid steps only


@pytest.mark.parametrize("pool", ["last", "mean", "max", "attention"])
def test_padded_batch_equals_each_sequence_alone(pool):
    torch.manual_seed(0)
    net = SequenceModel(input_size=3, n_outputs=4, cell="gru", hidden=8, layers=2, bidirectional=True,
                        pool=pool, dropout=0.0).eval()
    x, lengths = torch.randn(3, 7, 3), torch.tensor([7, 2, 5])
    batch = net(x, lengths)
    for b, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(batch[b], net(x[b:b + 1, :n], torch.tensor([n]))[0], atol=1e-5, rtol=0)


def test_metrics_match_sklearn():
    from sklearn.metrics import f1_score, r2_score

    y, p = np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2])
    m = classification_metrics(y, p, 3)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["macro_f1"] == pytest.approx(f1_score(y, p, average="macro"))
    yr, pr = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0])
    assert regression_metrics(yr, pr)["r2"] == pytest.approx(r2_score(yr, pr))


def test_classify_cli_builtin_train_evaluate_predict(tmp_path, capsys):
    out = tmp_path / "m"
    assert main(["classify", "train", "--dataset", "ItalyPowerDemand", "--epochs", "3", "--hidden", "8",
                 "--quiet", "--out", str(out), "--json", str(tmp_path / "t.json")]) == 0
    m = json.loads((tmp_path / "t.json").read_text())
    assert set(m) == {"accuracy", "macro_f1", "seconds"}
    assert (out / "confusion.png").stat().st_size > 1000
    assert main(["classify", "evaluate", "--model", str(out), "--json", str(tmp_path / "e.json")]) == 0
    assert json.loads((tmp_path / "e.json").read_text())["accuracy"] == pytest.approx(m["accuracy"])
    # another built-in set: its classes are matched to the model's by name
    assert main(["classify", "evaluate", "--model", str(out), "--dataset", "GunPoint"]) == 0  # classes 1, 2
    capsys.readouterr()
    assert main(["classify", "evaluate", "--model", str(out), "--dataset", "BasicMotions"]) == 2
    assert "labels not known to the model: badminton, running" in capsys.readouterr().err
    # weights of another shape: one line, before any training
    for flag in ("--init-from", "--resume"):
        assert main(["classify", "train", "--dataset", "ItalyPowerDemand", "--hidden", "16", "--epochs", "1",
                     "--quiet", flag, str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "weights do not fit this model (shape mismatch" in err, err
    (tmp_path / "new.csv").write_text("1,0.1,0.2,0.3,0.2\n2,1,2,3,2\n")
    capsys.readouterr()
    assert main(["classify", "predict", "--model", str(out), "--input", str(tmp_path / "new.csv")]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2


def test_text_files_and_regress(tmp_path, capsys):
    rows = ["hello world\ten", "привет мир\tru", "good morning\ten", "доброе утро\tru"] * 5
    (tmp_path / "tr.tsv").write_text("\n".join(rows) + "\n")
    (tmp_path / "te.tsv").write_text("good day\ten\nдобрый день\tru\n")
    assert main(["classify", "train", "--train", str(tmp_path / "tr.tsv"), "--test", str(tmp_path / "te.tsv"),
                 "--epochs", "2", "--quiet", "--out", str(tmp_path / "txt")]) == 0
    nums = [f"{w}\t{v}" for w, v in [("one", 1), ("two", 2), ("three", 3), ("four", 4)]] * 3
    (tmp_path / "n.tsv").write_text("\n".join(nums) + "\n")
    assert main(["regress", "train", "--train", str(tmp_path / "n.tsv"), "--test", str(tmp_path / "n.tsv"),
                 "--epochs", "2", "--quiet", "--json", str(tmp_path / "r.json")]) == 0
    assert set(json.loads((tmp_path / "r.json").read_text())) == {"mae", "rmse", "r2", "seconds"}


def test_evaluate_and_predict_refuse_data_the_model_cannot_read(tmp_path, capsys):
    rows = ["hello world\ten", "привет мир\tru", "good morning\ten", "доброе утро\tru"] * 3
    (tmp_path / "tr.tsv").write_text("\n".join(rows) + "\n")
    (tmp_path / "v.csv").write_text("en,0.1,0.2\nru,1,2\n")
    txt = str(tmp_path / "txt")
    assert main(["classify", "train", "--train", str(tmp_path / "tr.tsv"), "--test", str(tmp_path / "tr.tsv"),
                 "--epochs", "1", "--hidden", "4", "--quiet", "--out", txt]) == 0
    capsys.readouterr()
    cases = [
        (["classify", "evaluate", "--model", txt, "--test", str(tmp_path / "v.csv")], "v.csv holds numeric series, "
         "but the model reads text"),
        (["classify", "predict", "--model", txt, "--input", str(tmp_path / "v.csv")], "the model reads text"),
        (["classify", "evaluate", "--model", txt, "--dataset", "GunPoint"], "dataset 'GunPoint' holds numeric series"),
        (["regress", "evaluate", "--model", txt, "--test", str(tmp_path / "tr.tsv")],
         "a classification model; use `rnnkit classify evaluate`"),
    ]
    for argv, msg in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and msg in err, (argv, err)


TS_WITH_GAP = ("@problemName x\n@timestamps false\n@univariate true\n@classLabel true 1 2\n@data\n"
               "1,2,3:1\n1,2,?:2\n")


@pytest.mark.parametrize("name,content,msg", [
    ("bad.csv", "1,0.5,nan\n", "missing"), ("bad.csv", "1,0.5,abc\n", "non-numeric"),
    ("bad.ts", TS_WITH_GAP, "series 2 has missing (NaN or ?) values"),
])
def test_bad_user_files_exit_2(tmp_path, capsys, name, content, msg):
    (tmp_path / name).write_text(content)
    assert main(["classify", "train", "--train", str(tmp_path / name), "--test", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and msg in err[0]


def test_wrong_task_for_dataset_is_a_clear_error(capsys):
    assert main(["regress", "train", "--dataset", "GunPoint"]) == 2
    assert "unknown regression dataset" in capsys.readouterr().err


def test_debian_sources_say_how_to_fetch(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNKIT_DATA", str(tmp_path))
    with pytest.raises(DatasetUnavailable, match="make data"):
        registry.load("langid")


def test_number_words_split_holds_out_values():
    t = registry.load("number-words-en")
    train_vals = set(np.round(t.train.y, 9))
    assert not train_vals & set(np.round(t.test.y, 9))
