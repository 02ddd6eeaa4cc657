"""Pilot tests of what the screens post (``message_hook``): every worker hands the screen one
``XLoaded`` message holding the facade's result as the facade returned it, so the screens are
tested against the data the app really sees (issue 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pilot_helpers import SIZE, settle

from capslice_tui.app.app import make_app
from capslice_tui.app.messages import RunsLoaded, SampleLoaded, SlicesLoaded
from capslice_tui.workspace import Workspace


def _recorder() -> tuple[list[Any], Any]:
    seen: list[Any] = []
    return seen, seen.append


def _of(seen: list[Any], kind: type | tuple[type, ...]) -> list[Any]:
    """The distinct messages of ``kind`` (the hook sees a message again as it bubbles)."""
    unique: dict[int, Any] = {}
    for m in seen:
        if isinstance(m, kind):
            unique.setdefault(id(m), m)
    return list(unique.values())


async def test_runs_screen_posts_the_facade_runs(store_path: Path) -> None:
    seen, hook = _recorder()
    app = make_app(store_path)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await settle(app, pilot)
        (loaded,) = _of(seen, RunsLoaded)
        assert loaded.runs == Workspace(store_path).runs()
        assert [r["name"] for r in loaded.runs] == ["base", "cand", "mathrun"]


async def test_slices_then_samples_then_sample_are_posted_in_order(store_path: Path) -> None:
    seen, hook = _recorder()
    app = make_app(store_path)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # the first run's slices, by task
        await settle(app, pilot)
        (slices,) = _of(seen, SlicesLoaded)
        assert slices.by == "task" and slices.filter_name is None
        expected = Workspace(store_path).slices("base")
        assert [r.key for r in slices.table.rows] == [r.key for r in expected.rows]
        assert [r.correct for r in slices.table.rows] == [r.correct for r in expected.rows]

        await pilot.press("down", "enter")  # a task's samples
        await settle(app, pilot)
        await pilot.press("enter")  # the first sample's detail
        await settle(app, pilot)
        kinds = [type(m) for m in _of(seen, (SlicesLoaded, SampleLoaded))]
        assert kinds == [SlicesLoaded, SampleLoaded]  # no reload of the slices on the way in
        (sample,) = _of(seen, SampleLoaded)
        assert sample.sample == Workspace(store_path).sample(sample.sample["id"])
