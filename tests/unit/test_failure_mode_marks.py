"""One scheme for failure-mode markers: ``samples --failure-mode`` takes the marker a table
shows (``fmt!``) as well as the mode's name, and ``trend --modes`` heads its narrow columns
with the same markers."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.cli.trend import MODE_HEADS
from capslice_tui.vocabulary import FAILURE_MARKS

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"


def test_samples_take_a_marker_as_the_mode_it_stands_for(tmp_path: Path) -> None:
    store = str(tmp_path / "s.db")
    log = CASES / "ext-05-markup-in-text" / "llama2chat_arith.jsonl"  # 3 extraction failures
    runner = CliRunner()
    assert runner.invoke(main, ["--store", store, "ingest", str(log), "--run", "r"]).exit_code == 0

    def listing(mode: str) -> str:
        args = ["--store", store, "samples", "--run", "r", "--failure-mode", mode]
        result = runner.invoke(main, [*args, "--format", "json"])
        assert result.exit_code == 0, result.output
        return result.output

    assert listing("fmt!") == listing("extraction_failure")
    assert '"extraction_failure"' in listing("fmt!")
    assert listing("wrong") == listing("wrong_answer")


def test_trend_heads_are_the_samples_markers() -> None:
    assert all(MODE_HEADS[mode] == mark for mode, mark in FAILURE_MARKS.items())
