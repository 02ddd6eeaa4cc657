"""Pilot tests: the slices and samples screens name the answer filter; f cycles the logged ones."""

from __future__ import annotations

from pathlib import Path

from lmeval_lines import TS, gsm8k_line
from pilot_helpers import SIZE, settle, static_text, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.samples import SamplesScreen
from capslice_tui.app.screens.slices import SlicesScreen
from capslice_tui.workspace import Workspace


def two_filter_store(tmp_path: Path) -> Path:
    """Run ``r``: 12 items, 8 right on strict-match, all 12 right on flexible-extract."""
    folder = tmp_path / "logs"
    folder.mkdir()
    lines = []
    for d in range(12):
        ok = d < 8
        lines.append(gsm8k_line(d, "18" if ok else "17", 1.0 if ok else 0.0, filt="strict-match"))
        lines.append(gsm8k_line(d, "18", 1.0, filt="flexible-extract"))
    (folder / f"samples_gsm8k_{TS}.jsonl").write_text("\n".join(lines) + "\n")
    store = tmp_path / "store.db"
    Workspace(store).ingest([folder], run="r")
    return store


async def test_f_cycles_the_logged_filters_and_samples_follow(tmp_path: Path) -> None:
    app = make_app(two_filter_store(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(SlicesScreen("r", None))
        await settle(app, pilot)
        screen = app.screen
        assert "filter strict-match (t)" in static_text(app, "#status")
        assert "8/12" in table_rows(app)[0]

        await pilot.press("t")
        await settle(app, pilot)
        assert screen.filter_name == "flexible-extract"
        assert "filter flexible-extract (t)" in static_text(app, "#status")
        assert "12/12" in table_rows(app)[0]

        await pilot.press("enter")  # the ALL row's samples, on the filter shown
        await settle(app, pilot)
        samples = app.screen
        assert isinstance(samples, SamplesScreen)
        assert "filter flexible-extract" in static_text(app, "#title")
        assert {r["filter"] for r in samples.rows} == {"flexible-extract"}
        assert len(samples.rows) == 12

        await pilot.press("b")
        await settle(app, pilot)
        await pilot.press("t")  # after the last logged filter: each task's primary one again
        await settle(app, pilot)
        assert screen.filter_name is None
        assert "filter strict-match (t)" in static_text(app, "#status")
        assert "8/12" in table_rows(app)[0]


async def test_one_logged_filter_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    lines = [gsm8k_line(d, "18", 1.0, filt="strict-match") for d in range(3)]
    (folder / f"samples_gsm8k_{TS}.jsonl").write_text("\n".join(lines) + "\n")
    Workspace(tmp_path / "store.db").ingest([folder], run="one")
    app = make_app(tmp_path / "store.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(SlicesScreen("one", None))
        await settle(app, pilot)
        await pilot.press("t")
        await settle(app, pilot)
        assert app.screen.filter_name is None
        assert "filter strict-match (t)" in static_text(app, "#status")


async def test_compare_screen_names_the_filter(tmp_path: Path) -> None:
    from capslice_tui.app.screens.compare import CompareScreen

    store = two_filter_store(tmp_path)
    Workspace(store).ingest([tmp_path / "logs"], run="r2")
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(CompareScreen("r", "r2", benchmark=None))
        await settle(app, pilot)
        status = static_text(app, "#status")
        assert "filter strict-match (primary)" in status
        assert len(status) <= SIZE[0]
