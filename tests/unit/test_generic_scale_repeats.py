"""Generic logs: a 0-100 correctness column and repeated rows (walk 17, F12 and F6).

F12: a ``score`` column of 0/100 was refused with advice to pass ``--skip-bad``, which then
dropped exactly the correct rows and showed 0.0%, status complete. A column on a 0-100 scale is
now read divided by 100 with a warning naming the field and the scale; what cannot be read on
one scale is refused saying how many values share the fault and which.
F6: without a sample index, a row repeating an earlier row's item id and response was another
sample (pass@2 over copied lines; a flipped repeat averaged to 0.5); it is now that sample
again: counted once, a conflicting score a warning, as the lm-eval reader does.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.ingest import read_paths
from capslice_tui.ingest.records import BadLine, SampleRecord

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "walk17"


def cli(store: Path, *args: str, ok: bool = True) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args])
    assert (res.exit_code == 0) == ok, res.output
    return res.output


def read(path: Path) -> tuple[dict, list[SampleRecord], list[BadLine]]:
    ctx, stream = read_paths([path])
    records = list(stream)
    good = [r for r in records if isinstance(r, SampleRecord)]
    return ctx.run_meta, good, [r for r in records if isinstance(r, BadLine)]


def write_jsonl(path: Path, scores: list) -> Path:
    rows = [
        {"id": i, "answer": "4", "response": "The answer is 4.", "score": s}
        for i, s in enumerate(scores)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def overall(store: Path, run: str) -> dict:
    return json.loads(cli(store, "slices", "--run", run, "--format", "json"))["overall"]


def test_a_0_100_score_column_is_read_divided_by_100_with_a_warning(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    out = cli(
        store, "ingest", "--run", "r", "--benchmark", "gsm8k", str(FIXTURES / "score100.jsonl")
    )
    assert "field 'score' is read on a 0-100 scale (the first rows hold 0, 100)" in out
    assert "divided by 100, so 100 is correct and 0 wrong" in out
    assert "--skip-bad" not in out
    got = overall(store, "r")
    assert (got["correct"], got["n_samples"]) == (7, 20)


def test_the_scale_is_decided_by_the_first_value_that_is_not_0(tmp_path: Path) -> None:
    """60 rows of 0 (past the rows looked at first), then 100s: 0 is 0 on both scales."""
    _, good, bad = read(write_jsonl(tmp_path / "x.jsonl", [0] * 60 + [100, 0, 100]))
    assert [r.correct for r in good[59:]] == [0.0, 1.0, 0.0, 1.0]
    assert [b.line for b in bad] == [61] and "0-100 scale (100 after only 0)" in bad[0].reason


def test_percentages_are_mean_scores_on_a_0_100_scale(tmp_path: Path) -> None:
    _, good, bad = read(write_jsonl(tmp_path / "x.jsonl", [0, 37.5, 100, 0.5]))
    assert [r.correct for r in good] == [0.0, 0.375, 1.0, 0.005]
    reasons = {b.reason for b in bad}
    assert any("a score between 0 and 100, not a correctness (0/100)" in r for r in reasons)


def test_a_column_mixing_0_1_and_0_100_is_refused_saying_which_rows(tmp_path: Path) -> None:
    """--skip-bad would drop every row holding 100 (all correct ones): the message says so."""
    path = write_jsonl(tmp_path / "x.jsonl", [1, 0, 1, 0] + [100] * 3 + [0])
    _, good, bad = read(path)
    assert [r.doc_id for r in good] == ["0", "1", "2", "3", "7"]
    assert [b.line for b in bad] == [5, 6, 7]
    text = bad[0].reason
    assert "3 of the column's 8 values in this file are outside [0, 1] (all 100;" in text
    assert "--skip-bad would drop all 3 of their rows and the run would be biased" in text
    out = cli(tmp_path / "s.db", "ingest", "--run", "r", str(path), ok=False)
    assert "all 100" in out and "Nothing from this ingest was stored" in out


def test_an_exact_1_or_true_on_a_0_100_column_is_refused(tmp_path: Path) -> None:
    _, good, lines = read(write_jsonl(tmp_path / "x.jsonl", [0, 100, 1, True, 0]))
    assert [r.correct for r in good] == [0.0, 1.0, 0.0]
    bad = [b for b in lines if not b.note]
    assert [b.line for b in bad] == [3, 4] and "mixes two scales" in bad[0].reason


def test_repeated_rows_without_a_sample_index_are_one_sample(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    out = cli(store, "ingest", "--run", "r", "--benchmark", "gsm8k", str(FIXTURES / "dup.jsonl"))
    assert "10 new samples (14 read, 10 kept" in out
    assert "4 rows with no sample index repeat an earlier row's item id and response" in out
    assert "3 exact repeats of an earlier sample counted once" in out
    assert "warning: 1 repeated sample" in out and "the first is kept" in out
    got = overall(store, "r")
    assert (got["correct"], got["n_samples"]) == (4, 10)  # the first of the flipped pair kept
    assert "pass@" not in cli(store, "slices", "--run", "r")


def test_rows_with_another_response_or_a_sample_index_stay_samples(tmp_path: Path) -> None:
    row = {"id": 1, "answer": "4", "response": "The answer is 4.", "correct": 1}
    files = {
        "other.jsonl": [row, {**row, "response": "The answer is 5.", "correct": 0}],
        "index.jsonl": [{**row, "sample_idx": 0}, {**row, "sample_idx": 1}],
    }
    for name, rows in files.items():
        path = tmp_path / name
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        meta, good, _ = read(path)
        assert [(r.doc_id, r.sample_idx) for r in good] == [("1", 0), ("1", 1)]
        assert not any("repeat an earlier row" in n for n in meta.get("reader_notes", []))
