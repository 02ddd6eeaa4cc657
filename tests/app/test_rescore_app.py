"""Pilot tests of the re-score screen (80x24, a real store ingested under an old rule)."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from pilot_helpers import SIZE, settle, static_text, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.menu import MenuScreen
from capslice_tui.app.screens.rescore import RescoreScreen
from capslice_tui.workspace import Workspace
from capslice_tui.workspace import rescore as rescore_module

TS = "2026-01-01T00-00-00.000000"


def gsm8k_line(doc_id: int, response: str, extracted: str, em: float) -> str:
    """One lm-eval 0.4 GSM8K sample line on ``strict-match`` (target 18)."""
    return json.dumps(
        {
            "doc_id": doc_id,
            "doc": {"question": f"How many apples, case {doc_id}?", "answer": "#### 18"},
            "target": "#### 18",
            "arguments": {"gen_args_0": {"arg_0": f"Question: q{doc_id}\nAnswer:",
                                         "arg_1": {"until": ["Question:"]}}},
            "resps": [[response]],
            "filtered_resps": [extracted],
            "filter": "strict-match",
            "metrics": ["exact_match"],
            "exact_match": em,
        }
    )  # fmt: skip


def old_rule_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run ``r1``: 4 right, 5 answers the strict filter missed, 3 wrong; ingested while the
    lenient extraction found nothing (an old rule)."""
    folder = tmp_path / "logs"
    folder.mkdir()
    lines = [gsm8k_line(d, "#### 18", "18", 1.0) for d in range(4)]
    lines += [gsm8k_line(d, "The answer is 18.", "[invalid]", 0.0) for d in range(4, 9)]
    lines += [gsm8k_line(d, "#### 17", "17", 0.0) for d in range(9, 12)]
    (folder / f"samples_gsm8k_{TS}.jsonl").write_text("\n".join(lines) + "\n")
    store = tmp_path / "store.db"
    with monkeypatch.context() as m:
        m.setattr(rescore_module, "extract_lenient", lambda response, constraint: None)
        Workspace(store).ingest([folder], run="r1")
    return store


async def test_preview_then_write_a_rescore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = old_rule_store(tmp_path, monkeypatch)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, MenuScreen)
        await pilot.press("e")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, RescoreScreen)
        assert table_rows(app)[0][0] == "r1"
        assert "Enter: preview" in static_text(app, "#status")

        await pilot.press("y")  # nothing previewed yet: nothing is written
        await settle(app, pilot)
        assert screen.previewed is None

        await pilot.press("enter")
        await settle(app, pilot)
        report = static_text(app, "#rescore-report")
        assert "r1: 8 of 12 samples would change" in report
        assert "5 wrong_answer -> extraction_failure" in report
        assert "preview only: nothing was written" in report
        assert max(len(line) for line in report.splitlines()) <= 78
        assert "y: write it" in static_text(app, "#status")
        assert Workspace(store).slices("r1").overall.lenient == pytest.approx(4 / 12)

        await pilot.press("y")
        await settle(app, pilot)
        assert "r1 re-scored: 8 samples changed" in static_text(app, "#status")
        report = static_text(app, "#rescore-report")
        assert "r1: 8 of 12 samples changed" in report
        assert "preview only" not in report
    overall = Workspace(store).slices("r1").overall
    assert (overall.correct, overall.n_samples) == (4, 12)  # official scores untouched
    assert overall.lenient == pytest.approx(9 / 12)


async def test_opened_on_a_run_previews_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = old_rule_store(tmp_path, monkeypatch)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(RescoreScreen("r1"))
        await settle(app, pilot)
        assert "r1: 8 of 12 samples would change" in static_text(app, "#rescore-report")
        await pilot.press("x")  # nothing running: says so, changes nothing
        await settle(app, pilot)
        assert app.screen.previewed is not None


async def test_e_on_the_runs_screen_previews_the_highlighted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = old_rule_store(tmp_path, monkeypatch)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        assert isinstance(app.screen, RescoreScreen)
        assert "r1: 8 of 12 samples would change" in static_text(app, "#rescore-report")
        await pilot.press("y")
        await settle(app, pilot)
        await pilot.press("q")  # back to the runs screen, which reloads
        await settle(app, pilot)
        assert not isinstance(app.screen, RescoreScreen)
    assert Workspace(store).slices("r1").overall.lenient == pytest.approx(9 / 12)


class PausingFacade:
    """The real facade, except that ``rescore`` writes one sample per batch and, on writing,
    stops at its third batch until the test lets it go (so the test can press ``x`` while
    the re-score is part-written)."""

    def __init__(self, real: Workspace) -> None:
        self.real = real
        self.paused = threading.Event()
        self.go = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def rescore(self, run: str, *, dry_run: bool = False, progress: Any = None,
                should_cancel: Any = None) -> Any:  # fmt: skip
        polls = {"n": 0}

        def pause_then_ask() -> bool:
            polls["n"] += 1
            if not dry_run and polls["n"] == 8:
                self.paused.set()
                self.go.wait(10)
            return bool(should_cancel and should_cancel())

        return rescore_module.rescore_run(
            self.real.store, run, dry_run=dry_run, batch_size=1, progress=progress,
            should_cancel=pause_then_ask,
        )  # fmt: skip


async def test_x_cancels_a_running_rescore_and_the_store_is_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = old_rule_store(tmp_path, monkeypatch)
    facade = PausingFacade(Workspace(store))
    app = make_app(store, workspace=facade)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(RescoreScreen("r1"))
        await settle(app, pilot)
        await pilot.press("y")
        assert await asyncio.to_thread(facade.paused.wait, 10)
        await pilot.press("x")
        facade.go.set()
        await settle(app, pilot)
        assert "cancelled; nothing was changed" in static_text(app, "#status")
        assert app.screen.busy is False
    overall = Workspace(store).slices("r1").overall
    assert overall.lenient == pytest.approx(4 / 12)  # the written batches were restored
    rows, _ = Workspace(store).samples("r1", failure_mode="extraction_failure")
    assert rows == []
