"""Fresh-user walk 11, the plan / intervention loop: a refused link stored nothing (#1), a
shrinking weight was marked boosted (#2), printed `next:` commands are valid shell (#3), the
plan's default output is readable at 80 columns (#4)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from plan_fixtures import write_sampled_run

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace

TASKS = ("minerva_math_num_theory", "minerva_math_algebra")


def _store(tmp: Path) -> Workspace:
    """``base`` and ``good`` (math, the same items), ``elsewhere`` (math, other items)."""
    ws = Workspace(tmp / "w.db")
    for run, tasks, right in (
        ("base", TASKS, (5, 20)), ("good", TASKS, (25, 20)),
        ("elsewhere", ("minerva_math_geometry",), (10,)),
    ):  # fmt: skip
        ws.ingest([write_sampled_run(tmp / f"{run}.jsonl", tasks, right)], run=run,
                  benchmark="math")  # fmt: skip
    return ws


def _accepted(ws: Workspace) -> int:
    rec = ws.new_intervention(
        title="nt data", hypothesis="more number theory", baseline="base", benchmark="math",
        targets=[{"task_type": "number_theory"}], controls=[{"task_type": "algebra"}],
        who="alice",
    )  # fmt: skip
    ws.accept_intervention(int(rec["id"]), who="bob")
    return int(rec["id"])


def _cli(store: Path, *args: str, columns: int = 200) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["--store", str(store), *args], env={"COLUMNS": str(columns)})
    return res.exit_code, res.output


def test_a_refused_link_changes_nothing(tmp_path: Path) -> None:
    """#1: `link 2 --run bbh-base` failed (no shared item) but left the intervention running
    with bbh-base as its result run, and history rows `start` and `link`."""
    ws = _store(tmp_path)
    iid = _accepted(ws)
    before, history = ws.intervention(iid), ws.store.intervention_history(iid)
    code, out = _cli(tmp_path / "w.db", "intervention", "link", str(iid), "--run", "elsewhere")
    assert code == 1 and "share no evaluation item" in out and "nothing was changed" in out, out
    after = ws.intervention(iid)
    assert (after["status"], after["result_run"], after["version"]) == ("accepted", None, 2)
    assert after == before and ws.store.intervention_history(iid) == history
    # then a good link works from the version the caller read (no conflict), all in one go
    rec = ws.link_intervention(iid, "good", who="bob", expected_version=before["version"])
    assert (rec["status"], rec["result_run"], rec["verdict"]) == ("evaluated", "good", "confirmed")
    actions = [(h["version"], h["action"]) for h in ws.store.intervention_history(iid)[-5:]]
    assert actions == [(3, "start"), (4, "link"), (5, "evaluate"), (5, "evaluate"),
                       (5, "evaluate")]  # fmt: skip
    # an evaluated one re-linked to a run that cannot be measured keeps its result and verdict
    evaluated = ws.intervention(iid)
    with pytest.raises(ValueError, match="nothing was changed"):
        ws.link_intervention(iid, "elsewhere", who="bob")
    assert ws.intervention(iid) == evaluated


def test_a_failing_step_rolls_back_the_steps_before_it(tmp_path: Path) -> None:
    """The store applies a link's steps in one transaction: a refused last step leaves the
    earlier ones unwritten."""
    from capslice_tui.store.interventions import InvalidTransition

    ws = _store(tmp_path)
    iid = _accepted(ws)
    with pytest.raises(InvalidTransition):
        ws.store.change_intervention_steps(iid, who="bob", steps=[
            ("start", {"status": "running"}, ("accepted",)),
            ("link", {"result_run": "good"}, ("running", "evaluated")),
            ("accept", {"status": "accepted"}, ("proposed",)),
        ])  # fmt: skip
    rec = ws.intervention(iid)
    assert (rec["status"], rec["result_run"], rec["version"]) == ("accepted", None, 2)


async def _settle(app: Any, pilot: Any) -> None:
    for _ in range(40):
        await pilot.pause()
        if not app.screen.workers or all(w.is_finished for w in app.screen.workers):
            break
        await asyncio.sleep(0.05)
    await pilot.pause()


def test_the_app_link_refused_then_linked(tmp_path: Path) -> None:
    """#1 in the app: a refused link says why and leaves the intervention (and the screen's
    version of it) as it was, so the next link is not refused as a conflict."""
    asyncio.run(_app_link(tmp_path))


async def _app_link(tmp_path: Path) -> None:
    from textual.widgets import Static

    from capslice_tui.app.app import make_app
    from capslice_tui.app.screens.interventions import InterventionsScreen

    ws = _store(tmp_path)
    iid = _accepted(ws)
    app = make_app(tmp_path / "w.db", workspace=ws)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = InterventionsScreen(selected=iid)
        app.push_screen(screen)
        await _settle(app, pilot)
        screen.load("link", "elsewhere")
        await _settle(app, pilot)
        status = str(screen.query_one("#status", Static).render())
        assert "share no evaluation item" in status, status
        assert ws.intervention(iid)["status"] == "accepted"
        screen.load("link", "good")
        await _settle(app, pilot)
        status = str(screen.query_one("#status", Static).render())
        assert status.startswith(f"linked good to #{iid}: confirmed"), status
