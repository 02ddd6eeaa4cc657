"""``slices --k`` says the ks were ignored only for a run with one sample per item: a run with
several samples per item shows its pass@k and never claims to have ignored them."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from capslice_tui.cli import main

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"


def _slices(store: Path, run: str, *ks: str) -> str:
    args = ["--store", str(store), "slices", "--run", run]
    for k in ks:
        args += ["--k", k]
    result = CliRunner().invoke(main, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_k_note_only_for_a_greedy_run(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    runner = CliRunner()
    many = CASES / "ing-02-generic-ids" / "math_samples.jsonl"  # 2 items x 3 samples
    one = CASES / "ext-05-markup-in-text" / "llama2chat_arith.jsonl"  # one sample per item
    for path, run in ((many, "many"), (one, "one")):
        result = runner.invoke(main, ["--store", str(store), "ingest", str(path), "--run", run])
        assert result.exit_code == 0, result.output
    out = _slices(store, "many", "1", "2")
    assert "pass@2" in out and "ignored" not in out
    one_out = _slices(store, "one", "2")  # no decoding recorded: greedy is not claimed
    assert "--k 2 ignored: this run has one sample per item" in one_out, one_out
    assert "(greedy" not in one_out, one_out
