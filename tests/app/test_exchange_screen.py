"""Export and import in the app (menu ``x``): export a real store to a folder, import it into
an empty store through the screen (the copy lists the same runs), a second import changes
nothing, a label changed on both sides is listed with who and when on each side, a non-empty
target and a damaged folder are refused with one clear line; console mode draws ASCII only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pilot_helpers import SIZE, settle, static_text
from test_ascii_console import assert_console_only
from textual.widgets import Input

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.confirm import ConfirmScreen
from capslice_tui.app.screens.exchange import ExchangeScreen
from capslice_tui.app.screens.prompt import PromptScreen
from capslice_tui.workspace import Workspace


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    """A store of its own (the conflict test labels items in it)."""
    from lmeval_files import build_store

    return build_store(tmp_path / "src")


async def _open(app: Any, pilot: Any) -> None:
    await settle(app, pilot)
    await pilot.press("m", "x")
    await settle(app, pilot)
    assert isinstance(app.screen, ExchangeScreen)


async def _answer(app: Any, pilot: Any, key: str, value: Path) -> str:
    """Press ``key`` (x or i), put ``value`` in the prompt, Enter; the pre-filled value."""
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(app.screen, PromptScreen)
    box = app.screen.query_one(Input)
    default = box.value
    box.value = str(value)
    await pilot.press("enter")
    await settle(app, pilot)
    return default


async def _import(app: Any, pilot: Any, folder: Path) -> tuple[str, str]:
    """Import ``folder`` through the screen; the manifest summary and the report."""
    await _answer(app, pilot, "i", folder)
    assert isinstance(app.screen, ConfirmScreen)
    summary = str(app.screen_stack[-2].query_one("#exchange-report").render())
    await pilot.press("y")
    await settle(app, pilot)
    assert isinstance(app.screen, ExchangeScreen)
    return summary, static_text(app, "#exchange-report")


async def test_export_then_import_into_an_empty_store(source: Path, tmp_path: Path) -> None:
    folder = tmp_path / "exp"
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot)
        default = await _answer(app, pilot, "x", folder)
        assert Path(default).name.startswith("capslice-export-")
        report = static_text(app, "#exchange-report")
        assert f"exported {source}" in report and f"to {folder}" in report
        assert "files: manifest.json, " in report and "rows per table:" in report
        assert [ln.split() for ln in report.splitlines() if ln.split()[:1] == ["runs"]] == [
            ["runs", "3"]
        ]
        assert "exported" in static_text(app, "#status")
        assert (folder / "manifest.json").is_file() and (folder / "samples.jsonl").is_file()
        # a non-empty folder is refused, as the CLI refuses it; nothing is written into it
        before = sorted(p.name for p in folder.iterdir())
        await _answer(app, pilot, "x", folder)
        assert "is not empty" in static_text(app, "#status")
        assert sorted(p.name for p in folder.iterdir()) == before

    copy = tmp_path / "copy.db"
    app = make_app(copy)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot)
        summary, report = await _import(app, pilot, folder)
        assert f"export folder {folder}" in summary and "schema version" in summary
        assert [ln.split() for ln in summary.splitlines() if ln.split()[:1] == ["runs"]] == [
            ["runs", "3"]
        ]
        assert f"imported {folder}" in report and " rows written" in report
        assert "runs" in report and "3 added" in report
        assert "conflict" not in report
        # the copy lists the same runs as the source
        assert Workspace(copy).runs() == Workspace(source).runs()
        # a second import changes nothing and says so
        _, again = await _import(app, pilot, folder)
        assert again.startswith(f"nothing changed: everything in {folder} was already in")
        assert "imported: nothing changed" in static_text(app, "#status")


async def test_conflicts_list_both_sides_and_bad_folders_are_one_line(
    source: Path, tmp_path: Path
) -> None:
    first, second, copy = tmp_path / "first", tmp_path / "second", tmp_path / "copy.db"
    ws_a = Workspace(source)
    ws_a.export_to(first)
    ws_b = Workspace(copy)
    ws_b.import_from(first)
    [item] = [r[0] for r in ws_a.store.query("SELECT id FROM items ORDER BY id LIMIT 1")]
    ws_a.label_items([item], {"task_type": "algebra"}, who="ann")
    ws_b.label_items([item], {"task_type": "prealgebra"}, who="ben")
    ws_a.export_to(second)
    app = make_app(copy)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot)
        _, report = await _import(app, pilot, second)
        lines = report.splitlines()
        at = next(i for i, ln in enumerate(lines) if ln.startswith("conflict: item"))
        assert "task_type" in lines[at]
        assert lines[at + 1].startswith("  here:     'prealgebra' by ben at 20")
        assert lines[at + 1].endswith("(kept)")
        assert lines[at + 2].startswith("  imported: 'algebra' by ann at 20")
        assert "1 conflict:" in report and static_text(app, "#status").endswith(", 1 conflict")
        # a damaged file: refused before anything is written, one line naming the file
        (second / "runs.jsonl").write_bytes(b'{"cid": "x"}\n')
        await _answer(app, pilot, "i", second)
        assert isinstance(app.screen, ExchangeScreen)  # no confirmation for a bad folder
        report = static_text(app, "#exchange-report")
        assert report.startswith("import failed: ") and "runs.jsonl" in report
        assert len(report.splitlines()) == 1 and "Traceback" not in report
        # not an export at all
        await _answer(app, pilot, "i", tmp_path)
        report = static_text(app, "#exchange-report")
        assert report.startswith("import failed: ") and "manifest.json: missing" in report


async def test_console_mode_draws_ascii_only(store_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "exp"
    app = make_app(store_path, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot)
        assert_console_only(app, "exchange")
        await pilot.press("x")
        await pilot.pause()
        assert_console_only(app, "export prompt")
        app.screen.query_one(Input).value = str(folder)
        await pilot.press("enter")
        await settle(app, pilot)
        assert_console_only(app, "export result")
        await pilot.press("i")
        await pilot.pause()
        app.screen.query_one(Input).value = str(folder)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert_console_only(app, "import confirmation")
        await pilot.press("n")
        await settle(app, pilot)
        assert "nothing imported" in static_text(app, "#status")


async def test_keys_wait_while_an_export_runs(store_path: Path, tmp_path: Path) -> None:
    import threading

    folder, gate = tmp_path / "exp", threading.Event()
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot)
        export_to = app.ws.export_to

        def slow_export(*args: Any, **kwargs: Any) -> dict[str, Any]:
            gate.wait(30)
            return export_to(*args, **kwargs)

        app.ws.export_to = slow_export
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one(Input).value = str(folder)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("i")  # a second action while the export runs: refused, no prompt
        await pilot.pause()
        assert isinstance(app.screen, ExchangeScreen)
        assert "export still running" in static_text(app, "#status")
        gate.set()
        await settle(app, pilot)
        assert (folder / "manifest.json").is_file()
        assert "exported" in static_text(app, "#status")
