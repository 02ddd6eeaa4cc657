"""Walk 9 #41: a re-ingest that stores nothing says nothing was stored and nothing scored
(it printed ``0 new samples`` then ``scored by capslice's strict extraction: 6511 samples``),
and the warning about stored samples arriving with another score names the other prompting
the rows logged (the BBH authors' answer-only file ingested into the CoT run)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from capslice_tui.app.screens.ingest import report_text
from capslice_tui.cli import main


def _rows(path: Path, prompting: str, predictions: list[str], start: int = 0) -> Path:
    """A flat BBH-style log (the authors' layout): no correctness, a ``prompting`` field."""
    path.write_text(
        "".join(
            json.dumps({"task": "boolean_expressions", "doc_id": start + i,
                        "model": "code-davinci-002", "prompting": prompting,
                        "target": "True", "prediction": p}) + "\n"
            for i, p in enumerate(predictions)
        )
    )  # fmt: skip
    return path


def _ingest(store: Path, log: Path, code: int = 0) -> str:
    args = ["--store", str(store), "ingest", str(log), "--run", "cot", "--benchmark", "bbh"]
    res = CliRunner().invoke(main, args, env={"COLUMNS": "400"})
    assert res.exit_code == code, res.output
    return " ".join(res.output.split())


def test_a_reingest_that_stores_nothing_says_nothing_was_scored(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    cot = _rows(tmp_path / "cot.jsonl", "cot_3shot", ["So the answer is True."] * 3)
    first = _ingest(store, cot)
    assert "cot: 3 new samples" in first
    assert "scored by capslice's strict extraction: 3 samples whose log carried no" in first
    again = _ingest(store, cot)
    assert "cot: 0 new samples (3 read, format jsonl)" in again, again
    assert (
        "nothing stored: every sample read is already in the run; nothing scored (the stored"
        " samples keep their scores)" in again
    ), again
    assert "scored by" not in again, again
    # two new rows beside the three stored: the count is of those read, and says so
    more = _rows(tmp_path / "more.jsonl", "cot_3shot", ["So the answer is True."] * 5)
    partly = _ingest(store, more)
    assert "cot: 2 new samples" in partly, partly
    assert (
        "scored by capslice's strict extraction: 5 samples whose log carried no correctness (as"
        " read; 2 new samples stored, the samples already in the run keep their stored scores)"
        in partly
    ), partly
    # the app's ingest form words it the same way
    text = report_text({"runs": {"cot": 0}, "read_per_run": {"cot": 3}, "n_read": 3,
                        "format": "jsonl", "scored_by_capslice": 3, "n_bad": 0})  # fmt: skip
    assert "nothing stored: every sample read is already in the run; nothing scored" in text
    assert "scored by" not in text


def test_the_other_score_warning_names_the_other_prompting(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    _ingest(store, _rows(tmp_path / "cot.jsonl", "cot_3shot", ["So the answer is True."] * 3))
    direct = _rows(tmp_path / "direct.jsonl", "answer_only_3shot", ["False", "True", "False"])
    # the CLI refuses the log (exit 1, nothing stored) and names the prompting too
    out = _ingest(store, direct, code=1)
    assert (
        "run 'cot' already holds other data for 3 samples of this log (same task, doc_id and"
        " sample; 2 with another score, logged with another prompting (answer_only_3shot; the"
        " stored samples: cot_3shot);" in out
    ), out
    # the workspace's default (the app's ingest) stores the rest and warns
    from capslice_tui.workspace import Workspace

    ws = Workspace(store)
    report = ws.ingest([direct], run="cot", benchmark="bbh")
    out = " ".join(report.warnings)
    assert report.runs == {"cot": 0}, report.runs
    assert (
        "3 samples already stored in this run arrived with another score, response or item (2"
        " with another score), logged with another prompting (answer_only_3shot; the stored"
        " samples: cot_3shot); the stored ones were kept" in out
    ), out
    # the same prompting with other responses: no prompting named
    other = _rows(tmp_path / "other.jsonl", "cot_3shot", ["So the answer is False."] * 3)
    out = _ingest(store, other, code=1)
    assert "already holds other data" in out and "another prompting" not in out, out
    out = " ".join(ws.ingest([other], run="cot", benchmark="bbh").warnings)
    assert "arrived with another score" in out and "another prompting" not in out, out
