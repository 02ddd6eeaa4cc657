"""A run whose ingest skipped unreadable input rows (``--skip-bad``) says so wherever its score
is shown: it is incomplete, with the count (``1 of 25 input rows unreadable, skipped by
--skip-bad (FILE): its scores leave it out; ...``) in ``runs`` (table note, JSON
``incomplete_reason`` and ``n_bad``) and the app's runs screen (``i``). It said ``complete``
and nothing else (a walk: a file whose 34 correct rows were bad lines read as 0.0% (0/66),
complete). Reading the fixed file again clears it; an ingest without bad lines stores what it
stored before."""

from __future__ import annotations

import json
from pathlib import Path

from capslice_tui.store.runs import EARLIER_INGESTS
from click.testing import CliRunner
from test_readers import _oc_workdir
from test_store_ingest import write_gsm8k

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.ingest import ingest

REASON = "unreadable, skipped by --skip-bad (samples_gsm8k_"


def _cut(path: Path, lines: tuple[int, ...]) -> str:
    """Cut the given lines of ``path`` short (unreadable JSON); returns the whole text."""
    text = path.read_text()
    rows = text.splitlines()
    for i in lines:
        rows[i] = rows[i][:30]
    path.write_text("\n".join(rows) + "\n")
    return text


def _cli(store: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--store", str(store), *args], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.output


def test_a_run_with_skipped_rows_says_so_and_a_fixed_file_clears_it(tmp_path: Path) -> None:
    path = write_gsm8k(tmp_path / "logs")  # 24 lines: 12 items x 2 filters
    whole = _cut(path, (2, 3))
    ws = Workspace(tmp_path / "s.db")
    report = ws.ingest([path], run="r", skip_bad=True)
    assert report.n_bad == 2 and report.runs == {"r": 22}
    assert any(
        w.startswith("r is incomplete: 2 of 24 input rows " + REASON) for w in report.warnings
    )
    (run,) = ws.runs()
    assert (run["status"], run["n_bad"]) == ("incomplete", 2)
    assert run["incomplete_reason"].startswith("2 of 24 input rows " + REASON)
    assert "its scores leave them out" in run["incomplete_reason"]
    out = " ".join(_cli(tmp_path / "s.db", "runs").split())
    assert "incomplete" in out and "r: incomplete: 2 of 24 input rows " + REASON in out
    data = json.loads(_cli(tmp_path / "s.db", "runs", "--format", "json"))
    assert data[0]["n_bad"] == 2 and data[0]["status"] == "incomplete"
    # the same file again with --skip-bad: the same 2 rows, not counted twice
    ws.ingest([path], run="r", skip_bad=True)
    assert ws.runs()[0]["n_bad"] == 2
    # the fixed file adds the 2 rows and clears the status
    path.write_text(whole)
    again = ws.ingest([path], run="r")
    assert again.runs == {"r": 2}
    assert any("2 input rows an earlier ingest skipped" in n for n in again.notes)
    (run,) = ws.runs()
    assert (run["status"], run["n_bad"], run["incomplete_reason"]) == ("complete", 0, None)
    assert "skipped_rows" not in ws.store.get_run("r")["meta"]


def test_a_file_fixed_in_part_says_what_is_still_left_out(tmp_path: Path) -> None:
    path = write_gsm8k(tmp_path / "logs")
    whole = _cut(path, (2, 3, 4))
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([path], run="r", skip_bad=True)
    path.write_text(whole)
    _cut(path, (4,))
    ws.ingest([path], run="r", skip_bad=True)
    (run,) = ws.runs()
    assert (run["status"], run["n_bad"]) == ("incomplete", 1)
    assert run["incomplete_reason"].startswith("1 of 24 input rows " + REASON)


def test_a_failed_ingest_keeps_the_run_incomplete(tmp_path: Path) -> None:
    """An ingest refused for a bad line rolls back and leaves the run's status as it was
    (it set ``complete``, hiding the skipped rows its meta still named)."""
    path = write_gsm8k(tmp_path / "logs")
    _cut(path, (2,))
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([path], run="r", skip_bad=True)
    other = write_gsm8k(tmp_path / "other", n=30, bad_line=50)
    try:  # batches of 5: samples are written before the bad line stops it
        ingest(ws.store, ws.taxonomy, [other], run="r", batch_size=5)
    except Exception as exc:  # noqa: BLE001 - IngestError; the status is what is tested
        assert "bad line" in str(exc)
    (run,) = ws.runs()
    assert run["status"] == "incomplete" and run["n_bad"] == 1


def test_an_ingest_without_bad_lines_records_nothing(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([write_gsm8k(tmp_path / "logs")], run="r", skip_bad=True)
    run = ws.store.get_run("r")
    assert (run["status"], run["n_bad"]) == ("complete", 0)
    assert "skipped_rows" not in run["meta"] and "incomplete" not in run["meta"]


def test_rows_counted_before_files_were_stay_counted(tmp_path: Path) -> None:
    """A store whose ``n_bad`` predates the per-file record keeps those rows (which file is
    not known) beside the new ones: never fewer than were skipped."""
    path = write_gsm8k(tmp_path / "logs")
    _cut(path, (2,))
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([write_gsm8k(tmp_path / "first", n=3)], run="r")
    with ws.store.write() as conn:
        conn.execute("UPDATE runs SET n_bad = 3")
    ws.ingest([path], run="r", skip_bad=True)
    run = ws.store.get_run("r")
    assert run["n_bad"] == 4 and run["meta"]["skipped_rows"][EARLIER_INGESTS] == [3, None]
    assert ws.runs()[0]["incomplete_reason"].startswith("4 input rows unreadable")


def test_another_models_skipped_rows_leave_a_run_complete(tmp_path: Path) -> None:
    """OpenCompass model folders are one run each: a bad row in qwen-7b's predictions makes
    qwen-7b's run incomplete, not llama's (both were marked incomplete with it)."""
    work = _oc_workdir(tmp_path)
    other = work / "predictions" / "qwen-7b"
    other.mkdir()
    row = {"origin_prompt": "Q: walk?\nA:", "prediction": "No", "gold": "No"}
    (other / "bbh-navigate.json").write_text(json.dumps({"0": row, "1": "not a row", "2": row}))
    ws = Workspace(tmp_path / "s.db")
    report = ws.ingest([work], run="r", skip_bad=True)
    assert report.n_bad == 1
    status = {run["name"]: (run["status"], run["incomplete_reason"]) for run in ws.runs()}
    assert status["r/llama-3-8b-hf"] == ("complete", None)
    assert status["r/qwen-7b"][0] == "incomplete"
    assert "1 input row unreadable, skipped by --skip-bad" in status["r/qwen-7b"][1]
