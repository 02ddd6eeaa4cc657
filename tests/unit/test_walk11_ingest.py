"""Fresh-user walk 11, ingest: a log's model is checked when one side names none (a warning,
in the CLI and the app's ingest report); bad run names are refused at ingest (CLI and app
form) while stores that hold them still read; a re-ingest whose samples differ from the
stored ones says they were not stored, without calling them already stored; ``--store`` on a
folder and after the command say what is wrong; search progress into a file or pipe is one
line per count."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.app.screens.ingest import report_text
from capslice_tui.cli import main
from capslice_tui.workspace import IngestError, Workspace


def _log(path: Path, predictions: list[str], model: str | None = "m1",
         prompting: str = "cot_3shot") -> Path:  # fmt: skip
    """A flat BBH-style log (the authors' layout): no correctness; ``model`` when given."""
    rows = []
    for i, p in enumerate(predictions):
        row: dict[str, object] = {"task": "boolean_expressions", "doc_id": i,
                                  "prompting": prompting, "target": "True", "prediction": p}  # fmt: skip
        if model is not None:
            row["model"] = model
        rows.append(json.dumps(row) + "\n")
    path.write_text("".join(rows))
    return path


def _cli(store: Path, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, ["--store", str(store), *args], env={"COLUMNS": "400"})
    return res.exit_code, " ".join(res.stdout.split()), " ".join(res.stderr.split())


# ---------------------------------------------------------------- 1. model on one side only


def test_a_log_without_a_model_into_a_run_with_one_warns(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    named = _log(tmp_path / "named.jsonl", ["So the answer is True."] * 3)
    # the same 3 samples and 2 more (a log that differs from the run's is refused)
    unnamed = _log(tmp_path / "unnamed.jsonl", ["So the answer is True."] * 3 + ["True"] * 2,
                   model=None)  # fmt: skip
    assert _cli(store, "ingest", str(named), "--run", "r")[0] == 0
    code, out, err = _cli(store, "ingest", str(unnamed), "--run", "r")
    assert code == 0 and "r: 2 new samples" in out, (out, err)
    assert (
        "warning: run 'r' holds model 'm1' and this log names no model, so the model check "
        "cannot tell whether it is of 'm1'" in err
    ), err
    assert "pass --model 'm1'" in err and "capslice delete-run r" in err
    # said the once: an identical re-ingest stores nothing and changes nothing
    code, out, err = _cli(store, "ingest", str(unnamed), "--run", "r")
    assert code == 0 and "names no model" not in err, err
    # named by --model: the check runs, nothing to say
    more = _log(tmp_path / "more.jsonl", ["So the answer is True."] * 3 + ["True"] * 4,
                model=None)  # fmt: skip
    code, out, err = _cli(store, "ingest", str(more), "--run", "r", "--model", "m1")
    assert code == 0 and "r: 2 new samples" in out and "model" not in err, err


def test_a_named_log_into_a_run_without_a_model_warns_and_the_app_shows_it(
    tmp_path: Path,
) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([_log(tmp_path / "unnamed.jsonl", ["True"] * 3, model=None)], run="u")
    assert ws.store.get_run("u")["model"] is None
    report = ws.ingest([_log(tmp_path / "named.jsonl", ["True"] * 5)], run="u")
    assert ws.store.get_run("u")["model"] == "m1"
    (warning,) = [w for w in report.warnings if "model" in w]
    assert warning.startswith(
        "run 'u' had no model name and now has model 'm1' (named by this log)"
    ), warning
    assert "capslice delete-run u" in warning
    # the app's ingest report shows it (with the CLI's advice in the form's terms)
    text = report_text(report.to_dict())
    assert "warning: run 'u' had no model name and now has model 'm1'" in text, text
    # both named and different: still refused, nothing stored
    with pytest.raises(IngestError, match="run 'u' holds model 'm1' and this log is of 'm2'"):
        ws.ingest([_log(tmp_path / "other.jsonl", ["True"] * 9, model="m2")], run="u")


# ---------------------------------------------------------------- 2. run names


@pytest.mark.parametrize("name", ["", " ", "ck,1", " ck", "ck ", "a\tb", "a\nb"])
def test_bad_run_names_are_refused_before_the_store_is_opened(tmp_path: Path, name: str) -> None:
    log = _log(tmp_path / "a.jsonl", ["True"] * 2)
    store = tmp_path / "new.db"
    code, _out, err = _cli(store, "ingest", str(log), "--run", name)
    assert code == 2, err
    assert "a run name must be non-empty, with no space at either end, no comma" in err, err
    assert not store.exists()  # refused before anything was created
    with pytest.raises(IngestError, match="a run name must be non-empty"):
        Workspace(tmp_path / "ws.db").ingest([log], run=name)


def test_good_run_names_pass_and_stored_bad_ones_still_read(tmp_path: Path) -> None:
    from capslice_tui.workspace.ingest import run_name_problem

    for name in ("ckpt-110k", "org/model step 5", "a;b", "é"):
        assert run_name_problem(name) == "", name
    # a store made before the rule: its runs still open and read
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([_log(tmp_path / "a.jsonl", ["True"] * 2)], run="ok")
    with ws.store.write() as conn:
        conn.execute("UPDATE runs SET name = 'ck,1' WHERE name = 'ok'")
    assert ws.store.get_run("ck,1")["model"] == "m1"
    code, out, err = _cli(tmp_path / "s.db", "runs")
    assert code == 0 and "ck,1" in out, (out, err)
    code, out, err = _cli(tmp_path / "s.db", "samples", "--run", "ck,1")
    assert code == 0 and out.count("boolean_expressions") == 2, (out, err)


def test_the_app_form_refuses_a_bad_run_name_and_says_the_rule(tmp_path: Path) -> None:
    from textual.widgets import Input, Static

    from capslice_tui.app.app import make_app
    from capslice_tui.app.screens.ingest import IngestScreen

    store = tmp_path / "s.db"
    ws = Workspace(store)
    log = _log(tmp_path / "a.jsonl", ["True"] * 2)
    ws.ingest([log], run="first")

    async def check() -> None:
        app = make_app(store)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            app.push_screen(IngestScreen())
            await pilot.pause()
            screen = app.screen
            screen.query_one("#ingest-paths", Input).value = str(log)
            screen.query_one("#ingest-run", Input).value = "ck,1"
            screen.query_one("#ingest-run", Input).focus()
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            result = str(screen.query_one("#ingest-result", Static).render())
            status = str(screen.query_one("#status", Static).render())
            assert "run name 'ck,1' holds ','" in " ".join(result.split()), result
            assert "refused" in status, status
            assert not screen.running

    asyncio.run(check())
    assert [r["name"] for r in Workspace(store).store.list_runs()] == ["first"]


# ---------------------------------------------------------------- 3. differing re-ingest


def test_differing_samples_are_said_not_stored_not_already_stored(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    cot = _log(tmp_path / "cot.jsonl", ["So the answer is True."] * 3)
    assert _cli(store, "ingest", str(cot), "--run", "cot")[0] == 0
    direct = _log(tmp_path / "direct.jsonl", ["False", "True", "False"],
                  prompting="answer_only_3shot")  # fmt: skip
    code, out, err = _cli(store, "ingest", str(direct), "--run", "cot")
    # the CLI refuses such a log (exit 1, nothing stored: test_ingest_changed_refused.py)
    assert code == 1 and "run 'cot' already holds other data for 3 samples" in err, (out, err)
    # the app's ingest form (the workspace's default) stores the rest and says so
    ws = Workspace(store)
    report = ws.ingest([direct], run="cot")
    text = report_text(report.to_dict())
    assert "every sample read is already in the run" not in text, text
    assert (
        "nothing stored: 3 samples read differ from those cot already holds under the same "
        "task and doc_id and were not stored (see the warning)" in text
    ), text
    assert any("the stored ones were kept and these were NOT stored" in w for w in report.warnings)
    # some the same, some other: both counted
    mixed = _log(tmp_path / "mixed.jsonl", ["So the answer is True.", "False", "False"])
    text = report_text(ws.ingest([mixed], run="cot").to_dict())
    assert (
        "nothing stored: 1 sample read is already stored, 2 samples read differ from those "
        "cot already holds" in text
    ), text
    # an identical re-ingest still says it plainly, and the report keeps its keys
    report = ws.ingest([cot], run="cot")
    assert "differing" not in report.to_dict()
    assert "nothing stored: every sample read is already in the run" in report_text(
        report.to_dict()
    )


# ---------------------------------------------------------------- 4. --store


def test_a_folder_as_store_and_store_after_the_command_are_explained(tmp_path: Path) -> None:
    folder = tmp_path / "dir"
    folder.mkdir()
    code, _out, err = _cli(folder, "runs")
    assert code == 1
    assert f"{folder} is a folder, not a store file" in err, err
    assert "unable to open database file" not in err
    res = CliRunner().invoke(main, ["runs", "--store", str(tmp_path / "x.db")])
    assert res.exit_code == 2
    assert (
        "No such option '--store'. --store is an option of capslice itself: give it before "
        "the command (capslice --store VALUE runs ...)" in res.stderr
    ), res.stderr
    res = CliRunner().invoke(main, ["intervention", "list", "--taxonomy", "t"])
    assert "give it before the command (capslice --taxonomy VALUE intervention list" in (
        res.stderr
    ), res.stderr


# ---------------------------------------------------------------- 5. search progress


def test_search_progress_into_a_pipe_is_whole_lines(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    assert (
        _cli(store, "ingest", str(_log(tmp_path / "a.jsonl", ["True"] * 3)), "--run", "r")[0] == 0
    )
    res = CliRunner().invoke(
        main, ["--store", str(store), "samples", "--run", "r", "--search", "True"]
    )
    assert res.exit_code == 0, res.output
    assert "\r" not in res.stderr
    lines = [x for x in res.stderr.splitlines() if x.startswith("indexing")]
    assert lines == ["indexing r for search: 0 of 3 samples",
                     "indexing r for search: 3 of 3 samples"], res.stderr  # fmt: skip


def test_doctor_on_a_folder_says_it_is_a_folder(tmp_path: Path) -> None:
    """``capslice --store DIR doctor`` said 'no such store file' for a folder."""
    from click.testing import CliRunner

    from capslice_tui.cli import main

    result = CliRunner().invoke(main, ["--store", str(tmp_path), "doctor"])
    assert result.exit_code != 0
    assert f"{tmp_path} is a folder, not a store file" in result.output, result.output
