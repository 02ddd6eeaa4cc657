"""A generic log's correctness column is read, or refused/warned about by name; never ignored.

Walk 12: ``question_id,attempt,model_output,gold,is_right`` (TRUE/false/yes/no) was read with
``is_right`` left out of the fields line; ingest said "6 samples whose log carried no
correctness" and the run read 16.7% (capslice's strict re-scoring) where the log says 3/6.
The columns nobody read were not named, and the strict-format warning said its run twice
(``warning: evals: evals: the score ...``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.app.screens.ingest import report_text
from capslice_tui.cli import main
from capslice_tui.ingest import read_paths
from capslice_tui.ingest.records import BadLine, SampleRecord
from capslice_tui.workspace import Workspace

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "generic_correctness"


def cli(store: Path, *args: str, ok: bool = True) -> str:
    """Run ``capslice --store STORE ARGS`` in-process; assert the exit status."""
    res = CliRunner().invoke(main, ["--store", str(store), *args])
    assert (res.exit_code == 0) == ok, res.output
    return res.output


def score(store: Path, run: str) -> float:
    out = cli(store, "slices", "--run", run, "--format", "json")
    return json.loads(out)["overall"]["score"]


def read(name: str, **kwargs) -> tuple[dict, list[SampleRecord], list[BadLine]]:
    ctx, stream = read_paths([FIXTURES / name], **kwargs)
    records = list(stream)
    good = [r for r in records if isinstance(r, SampleRecord)]
    return ctx.run_meta, good, [r for r in records if isinstance(r, BadLine)]


def test_is_right_is_the_correctness_and_the_log_figure_is_kept(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    out = cli(store, "ingest", str(FIXTURES / "evals.csv"), "--run", "evals")
    assert (
        "fields: item id: question_id · sample: attempt · correctness: is_right · "
        "response: model_output · target: gold\n"
    ) in out
    assert "carried no correctness" not in out and "not mapped" not in out
    assert score(store, "evals") == pytest.approx(0.5)  # the log's own 3/6


def test_boolean_spellings_read_alike_and_others_are_refused_by_file_line_and_field() -> None:
    _, good, bad = read("spellings.csv")
    assert bad == []
    assert [r.correct for r in good] == [1.0, 0.0] * 4  # TRUE false Yes no 1 0 1.0 0.0
    _, good, bad = read("bad_spelling.csv")
    assert [r.correct for r in good] == [1.0, 1.0]
    assert [str(b) for b in bad] == [
        f"{FIXTURES / 'bad_spelling.csv'}:3: bad line: field 'is_right': "
        "not a correctness value: 'maybe'"
    ]
    _, good, bad = read("list_correct.jsonl")  # a list is no correctness, not a missing one
    assert [r.correct for r in good] == [1.0]
    assert len(bad) == 1 and bad[0].line == 2
    assert "field 'is_right': not a correctness value: a list" in bad[0].reason


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("reward01.jsonl", "reward"),
        ("systems_reward.jsonl", "reward"),
        ("parallel_passed.jsonl", "isSolved"),
    ],
)
def test_a_column_that_may_be_the_correctness_is_refused_by_name(
    tmp_path: Path, name: str, column: str
) -> None:
    out = cli(tmp_path / "s.db", "ingest", str(FIXTURES / name), "--run", "r", ok=False)
    flat = " ".join(out.split())
    assert f"{name}:" in flat and f"column '{column}'" in flat
    assert f"--field correct={column}" in flat and "--field correct=-" in flat
    assert "Traceback" not in out


def test_the_refused_column_is_read_or_declined_as_asked(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    path = str(FIXTURES / "reward01.jsonl")
    out = cli(store, "ingest", path, "--run", "logged", "--field", "correct=reward")
    assert "correctness: reward" in out and "carried no correctness" not in out
    assert score(store, "logged") == pytest.approx(0.5)  # the log's 2/4
    out = cli(store, "ingest", path, "--run", "rescored", "--field", "correct=-")
    assert "correctness: none (--field correct=-)" in out
    assert "not mapped, not read: reward" in out
    assert "4 samples whose log carried no correctness" in out
    _, good, _ = read("reward01.jsonl", field_map={"correct": "-"})
    assert all("reward" not in (r.doc or {}) for r in good)  # a sample's score, not the item's
    with pytest.raises(ValueError, match="only the correctness can be declined"):
        read("reward01.jsonl", field_map={"target": "-"})


def test_a_score_column_is_warned_about_by_name_and_kept_out_of_the_item(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    report = ws.ingest([FIXTURES / "rm_score.jsonl"], run="r")
    assert report.fields[-1].endswith("not mapped, not read: rm_score")
    warning = next(w for w in report.warnings if "'rm_score'" in w)
    assert "0.91, 0.12" in warning and "--field correct=rm_score" in warning
    assert warning.endswith("/rm_score.jsonl:1)")
    _, good, _ = read("rm_score.jsonl")
    assert all("rm_score" not in (r.doc or {}) for r in good)


def test_columns_not_mapped_are_listed_in_the_cli_and_the_app_alike(tmp_path: Path) -> None:
    out = cli(tmp_path / "a.db", "ingest", str(FIXTURES / "spellings.csv"), "--run", "r")
    line = (
        "fields: item id: id · sample: (row order within an item) · correctness: is_right · "
        "response: response · target: gold · not mapped, kept as item fields: subject"
    )
    assert line + "\n" in out
    report = Workspace(tmp_path / "b.db").ingest([FIXTURES / "spellings.csv"], run="r")
    assert line in report_text(report.to_dict()).splitlines()


def test_the_strict_format_warning_names_a_run_named_as_its_task_once(tmp_path: Path) -> None:
    path = shutil.copy(FIXTURES / "evals.csv", tmp_path / "evals.csv")
    out = cli(tmp_path / "s.db", "ingest", str(path), "--run", "evals", "--field", "correct=-")
    assert "warning: evals: the score" in out
    assert "evals: evals:" not in out
