"""Pilot tests of the ingest, taxonomy and report-export paths of the app (80x24, real store)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from lmeval_files import build_store
from pilot_helpers import SIZE, settle, static_text
from textual.widgets import Button, Input
from textual.worker import WorkerFailed

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.compare import CompareScreen, report_path
from capslice_tui.app.screens.confirm import ConfirmScreen
from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.app.screens.ingest import IngestScreen
from capslice_tui.app.screens.menu import MenuScreen
from capslice_tui.app.screens.taxonomy import TaxonomyScreen
from capslice_tui.formatting import plural
from capslice_tui.workspace import Workspace


def jsonl_lines(n: int) -> list[str]:
    """Generic JSONL samples: task, doc_id, prompt, target, response, correct."""
    return [
        json.dumps(
            {
                "task": "toy_addition",
                "doc_id": i,
                "prompt": f"What is {i} + 1?",
                "target": str(i + 1),
                "response": f"The answer is {i + 1 if i % 3 else i}.",
                "correct": bool(i % 3),
            }
        )
        for i in range(n)
    ]


async def _open_ingest(app: Any, pilot: Any) -> None:
    await settle(app, pilot)
    await pilot.press("m")
    await pilot.pause()
    assert isinstance(app.screen, MenuScreen)
    await pilot.press("g")
    await pilot.pause()
    assert isinstance(app.screen, IngestScreen)


async def _type(pilot: Any, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


async def test_ingest_a_jsonl_file_through_the_screen(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    log = tmp_path / "toy.jsonl"
    log.write_text("\n".join(jsonl_lines(9)) + "\n")
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await _open_ingest(app, pilot)
        screen = app.screen
        screen.query_one("#ingest-paths", Input).value = str(log)
        await pilot.press("tab")
        # letters that are app/screen keys elsewhere (b back, m menu, q quit) go to the input
        await _type(pilot, "bmq-run")
        assert isinstance(app.screen, IngestScreen)
        assert screen.query_one("#ingest-run", Input).value == "bmq-run"
        await pilot.press("tab")
        await _type(pilot, "toy")
        await pilot.press("tab")
        await _type(pilot, "42")
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen.report is not None
        assert screen.report["runs"] == {"bmq-run": 9}
        assert screen.report["format"] == "jsonl"
        result = static_text(app, "#ingest-result")
        assert "bmq-run: 9 new samples (9 read, format jsonl)" in result
        assert "no bad lines" in result
        status = static_text(app, "#status")
        assert "9 records read" in status and "Esc: back to runs" in status
        # focus left the inputs: keys are commands now, not text typed into a field
        assert not isinstance(app.focused, Input)
        assert app.focused is screen.query_one("#ingest-back")

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, IngestScreen)
    runs = {r["name"]: r for r in Workspace(store).runs()}
    assert runs["bmq-run"]["n_samples"] == 9 and runs["bmq-run"]["step"] == 42
    assert set(runs["bmq-run"]["benchmarks"]) == {"toy"}


def test_progress_messages_coalesce() -> None:
    first, second = IngestScreen.Progress(5000), IngestScreen.Progress(10000)
    assert first.can_replace(second) and second.can_replace(first)
    assert not first.can_replace(IngestScreen.Ingested({}))


async def test_ingest_bad_middle_line_names_file_and_line_and_stores_nothing(
    tmp_path: Path,
) -> None:
    store = build_store(tmp_path)
    lines = jsonl_lines(5)
    lines[2] = '{"task": "toy_addition", "doc_id": [broken'
    log = tmp_path / "bad [x].jsonl"  # brackets: shown verbatim, never parsed as markup
    log.write_text("\n".join(lines) + "\n")
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await _open_ingest(app, pilot)
        screen = app.screen
        screen.query_one("#ingest-paths", Input).value = f"'{log}'"
        screen.query_one("#ingest-run", Input).value = "badrun"
        screen.query_one("#ingest-run", Input).focus()
        await pilot.press("enter")
        with contextlib.suppress(WorkerFailed):  # raised only if the worker is still listed
            await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        result = static_text(app, "#ingest-result")
        assert "ingest failed" in result
        assert f"{log}:3" in result
        assert "nothing from this ingest was stored" in result.lower()
        assert "nothing stored" in static_text(app, "#status")
        assert screen.running is False
        assert "badrun" not in {r["name"] for r in Workspace(store).runs()}

        # the same file with skip-bad keeps the readable lines and lists the bad one
        screen.query_one("#ingest-skip-bad", Button).focus()
        await pilot.press("enter")  # toggles: the state is written in the button's text
        assert screen.skip_bad and "[x] skip bad lines" in str(
            screen.query_one("#ingest-skip-bad", Button).label
        )
        screen.query_one("#ingest-run", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen.report is not None and screen.report["runs"] == {"badrun": 4}
        result = static_text(app, "#ingest-result")
        assert "1 bad line skipped" in result and f"{log}:3" in result
    assert Workspace(store).run_info("badrun")["n_bad"] == 1


async def test_ingest_refuses_bad_form_input(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await _open_ingest(app, pilot)
        screen = app.screen
        await pilot.press("enter")
        assert "at least one log file" in static_text(app, "#status")
        screen.query_one("#ingest-paths", Input).value = str(tmp_path / "missing.jsonl")
        screen.query_one("#ingest-run", Input).value = "x"
        await pilot.press("enter")
        assert "no such file or folder" in static_text(app, "#status")
        screen.query_one("#ingest-paths", Input).value = str(tmp_path)
        screen.query_one("#ingest-step", Input).value = "12k"
        await pilot.press("enter")
        assert "step must be a whole number" in static_text(app, "#status")
        assert not app.workers._workers
    assert "x" not in {r["name"] for r in Workspace(store).runs()}


def test_report_path_sanitises_run_names(tmp_path: Path) -> None:
    path = report_path("org/model base", "step 2/cand", tmp_path)
    assert path == tmp_path / "capslice-report-org_model_base-vs-step_2_cand.md"


@pytest.mark.parametrize("screen_kind", ["compare", "diagnose"])
async def test_report_key_writes_markdown_in_cwd(
    screen_kind: str, store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        if screen_kind == "compare":
            await app.push_screen(CompareScreen("base", "cand", benchmark="bbh"))
        else:
            await app.push_screen(DiagnoseScreen("base", "cand", benchmark="bbh"))
        await settle(app, pilot)
        await pilot.press("r")  # asks for the file, pre-filled with the default name
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        written = tmp_path / "capslice-report-base-vs-cand.md"
        assert written.exists()
        assert written.read_text().startswith("# capslice report")
        messages = [n.message for n in app._notifications]
        assert f"report written: {written.resolve()}" in messages


async def test_report_key_in_weakness_mode_explains(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(DiagnoseScreen("base", None, benchmark="bbh"))
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert any("needs two runs" in n.message for n in app._notifications)
    assert not list(tmp_path.glob("capslice-report-*"))


async def test_taxonomy_lists_axes_checks_and_applies(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    ws = Workspace(store)
    axes = ws.axes()
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "t")
        await settle(app, pilot)
        assert isinstance(app.screen, TaxonomyScreen)
        screen = app.screen
        listed = static_text(app, "#taxonomy-axes")
        assert set(axes) == {
            "background_condition",
            "task_type",
            "solving_operation",
            "output_constraint",
        }
        for axis, values in axes.items():
            assert f"{axis} ({plural(len(values), 'value')})" in listed
            value, description = next(iter(values.items()))
            assert value in listed and description[:30] in listed

        await pilot.press("c")
        await settle(app, pilot)
        expected = ws.check_taxonomy()
        assert screen.unmatched == expected
        result = static_text(app, "#taxonomy-result")
        assert f"taxonomy valid; {len(expected)} rules match no stored item" in result
        if expected:
            assert expected[0][:40] in result

        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(app, pilot)
        assert app.screen is screen and screen.changes is None
        assert "apply cancelled" in static_text(app, "#status")

        await pilot.press("A")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert screen.changes == 0  # rules unchanged since ingest: nothing to relabel
        assert "0 rule-label changes" in static_text(app, "#taxonomy-result")
