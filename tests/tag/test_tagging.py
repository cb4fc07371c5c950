"""Tagging: readers, the HMM tagger on known data, the BiLSTM tagger, the CLI end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnkit.cli import main
from rnnkit.data.conllu_io import read_conllu, read_plain, read_word_tag
from rnnkit.errors import DataError
from rnnkit.hmm.second_order import viterbi2
from rnnkit.tasks.tag.evaluate import score_tags
from rnnkit.tasks.tag.hmm_tagger import HMMTagger, trigram_transitions
from rnnkit.tour.tagging import sample_path

CONLLU = """# sent_id = 1
1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_
2\tdog\tdog\tNOUN\tNN\t_\t3\tnsubj\t_\t_
3\truns\trun\tVERB\tVBZ\t_\t0\troot\t_\t_

# sent_id = 2
1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
1\tdo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_
2\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_
3\trun\trun\tVERB\tVB\t_\t0\troot\t_\t_

"""


def test_readers(tmp_path):
    p = tmp_path / "a.conllu"
    p.write_text(CONLLU)
    s = read_conllu(p)
    assert s[1].words == ["do", "n't", "run"] and s[1].tags == ["AUX", "PART", "VERB"]
    assert read_conllu(p, "xpos")[0].tags == ["DT", "NN", "VBZ"]
    w = tmp_path / "b.txt"
    w.write_text("The/DET dog/NOUN\nhttp://x/y/NOUN\n")
    assert read_word_tag(w)[1].words == ["http://x/y"]
    (tmp_path / "c.txt").write_text("a b c\n\nd e\n")
    assert [s.words for s in read_plain(tmp_path / "c.txt")] == [["a", "b", "c"], ["d", "e"]]
    (tmp_path / "bad.txt").write_text("The DET\n")
    with pytest.raises(DataError, match="word/TAG"):
        read_word_tag(tmp_path / "bad.txt")


def test_gzip_files_read_and_broken_ones_are_named(tmp_path):
    import gzip

    good = tmp_path / "a.conllu.gz"
    good.write_bytes(gzip.compress(CONLLU.encode()))
    assert read_conllu(good)[1].tags == ["AUX", "PART", "VERB"]
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(b"The/DET dog/NOUN\n"))
    assert read_word_tag(tmp_path / "b.txt.gz")[0].tags == ["DET", "NOUN"]
    (tmp_path / "plain.conllu.gz").write_text("not compressed\n")
    (tmp_path / "cut.txt.gz").write_bytes(good.read_bytes()[:40])
    for name, read in (("plain.conllu.gz", read_conllu), ("cut.txt.gz", read_plain)):
        with pytest.raises(DataError, match=f"{name}: not a readable gzip file"):
            read(tmp_path / name)


def test_second_order_viterbi_against_brute_force():
    rng = np.random.default_rng(0)
    K = 3
    logT = np.log(rng.dirichlet(np.ones(K), (K + 1, K + 1)))
    frames = [np.log(rng.dirichlet(np.ones(K), n)) for n in (1, 2, 5)]
    import itertools
    for f, path in zip(frames, viterbi2(logT, frames), strict=True):
        best, arg = -np.inf, None
        for p in itertools.product(range(K), repeat=len(f)):
            prev = [K, K, *p]
            s = sum(logT[prev[i], prev[i + 1], prev[i + 2]] + f[i, p[i]] for i in range(len(p)))
            if s > best:
                best, arg = s, p
        assert tuple(path) == arg


def test_trigram_transitions_are_distributions():
    T = trigram_transitions([[0, 1, 2, 1], [1, 1, 0]], 3)
    np.testing.assert_allclose(T.sum(-1), 1.0)


def test_hmm_tagger_on_the_builtin_sample():
    train, dev = read_conllu(sample_path("train")), read_conllu(sample_path("dev"))
    for order, floor in ((2, 0.85), (3, 0.85)):
        t = HMMTagger(order=order).fit(train)
        pred = t.predict([s.words for s in dev])
        sc = score_tags([s.tags for s in dev], pred, [s.words for s in dev], set(t.words_))
        assert sc.accuracy > floor and sc.unknown_accuracy > 0.5
    # unknown words get suffix-based scores, not a flat distribution
    assert t._unknown("blorfing").argmax() != t._unknown("Blorfland").argmax()


def _small_word_tag_file(path, split, n):
    """The first ``n`` sample sentences as word/TAG lines (exercises the second format)."""
    sents = read_conllu(sample_path(split))[:n]
    path.write_text("".join(" ".join(f"{w}/{t}" for w, t in zip(s.words, s.tags, strict=True)) + "\n"
                            for s in sents))
    return str(path)


def test_cli_train_evaluate_predict_hmm_and_bilstm(tmp_path, capsys):
    train = _small_word_tag_file(tmp_path / "train.txt", "train", 300)
    dev = _small_word_tag_file(tmp_path / "dev.txt", "dev", 40)
    for model in ("hmm", "bilstm"):
        out = tmp_path / model
        extra = ["--max-steps", "5", "--hidden", "16", "--word-dim", "16", "--quiet"] if model == "bilstm" else []
        assert main(["tag", "train", "--train", train, "--dev", dev, "--model", model, "--out", str(out),
                     "--json", str(tmp_path / "m.json"), *extra]) == 0
        m = json.loads((tmp_path / "m.json").read_text())
        assert set(m) == {"accuracy", "unknown_accuracy", "sentences_per_second", "seconds"}
        assert main(["tag", "evaluate", "--model", str(out), "--test", dev, "--json", str(tmp_path / "e.json")]) == 0
        assert json.loads((tmp_path / "e.json").read_text())["accuracy"] == pytest.approx(m["accuracy"])
        assert "never predicts a tag of this file" not in capsys.readouterr().out
        (tmp_path / "ptb.txt").write_text("The/DT dog/NN runs/VBZ ./.\n")  # another tag set
        assert main(["tag", "evaluate", "--model", str(out), "--test", str(tmp_path / "ptb.txt")]) == 0
        assert "never predicts a tag of this file (., DT, NN, VBZ …)" in capsys.readouterr().out
        (tmp_path / "in.txt").write_text("The dog runs .\n")
        capsys.readouterr()
        assert main(["tag", "predict", "--model", str(out), "--input", str(tmp_path / "in.txt")]) == 0
        assert capsys.readouterr().out.startswith("The/")


def test_cli_bad_input_exits_2(tmp_path, capsys):
    assert main(["tag", "train", "--train", str(tmp_path / "missing.conllu")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not found" in err[0]
    assert main(["tag", "evaluate", "--model", str(tmp_path), "--test", str(sample_path("dev"))]) == 2


@pytest.mark.slow
def test_hmm_reaches_92_percent_on_ewt_dev(shared_dir):
    ud = shared_dir / "data" / "ud"
    train, dev = read_conllu(ud / "en_ewt-ud-train.conllu.gz"), read_conllu(ud / "en_ewt-ud-dev.conllu.gz")
    t = HMMTagger().fit(train)
    sc = score_tags([s.tags for s in dev], t.predict([s.words for s in dev]), [s.words for s in dev], set(t.words_))
    assert sc.accuracy >= 0.92
