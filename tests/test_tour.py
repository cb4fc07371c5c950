"""The tour runs end to end on tiny budgets and writes its report."""

from __future__ import annotations

from rnnkit.cli import main


def test_tour_quick_layers_section(tmp_path, capsys):
    assert main(["tour", "--quick", "--only", "layers", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "lstm" in out and "naive" in out
    assert (tmp_path / "layers" / "gradient_norms.png").stat().st_size > 1000
    assert "Recurrent layers" in (tmp_path / "report.md").read_text()


def test_tour_quick_generation_section(tmp_path, capsys):
    assert main(["tour", "--quick", "--only", "generation", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "valid bpc" in out and "sample at temperature 0.8" in out
    sample = (tmp_path / "generation" / "sample.txt").read_text()
    assert sample.startswith("ROMEO:\n") and len(sample) > 300
