"""The app's runs screen says which runs were pulled from or pushed to a team hub."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from test_hub import Team, _store_a, cli
from test_hub import team as team  # noqa: F401  (the fixture)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))

from pilot_helpers import SIZE, settle, table_rows  # noqa: E402

from capslice_tui.app.app import make_app  # noqa: E402
from capslice_tui.workspace import Workspace  # noqa: E402


async def _status_cells(store: Path) -> dict[str, str]:
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        return {row[0]: row[-1] for row in table_rows(app)}


def test_runs_screen_shows_pulled_and_pushed(team: Team, tmp_path: Path) -> None:
    a = _store_a(tmp_path)
    b = tmp_path / "b.db"
    cli(a, "hub", "add", "team", team.url(team.writer))
    cli(a, "push", "--run", "base")
    cli(b, "hub", "add", "team", team.url(team.reader))
    cli(b, "pull")
    origins: dict[str, Any] = {r["name"]: r["origin"] for r in Workspace(a).runs()}
    assert origins == {"base": "pushed to team", "cand": "local"}
    status = asyncio.run(_status_cells(a))
    assert status["base"].endswith("pushed:team") and "team" not in status["cand"], status
    status = asyncio.run(_status_cells(b))
    assert list(status) == ["base"] and status["base"].endswith("pulled:team"), status


async def _push_from_app(store: Path) -> tuple[str, str, list[list[str]]]:
    from pilot_helpers import static_text

    from capslice_tui.app.screens.hub import HubScreen

    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("H")
        await settle(app, pilot)
        assert isinstance(app.screen, HubScreen)
        rows = table_rows(app)
        await pilot.press("p")
        for _ in range(100):  # the push runs in a worker
            await pilot.pause(0.1)
            if "pushed to hub" in static_text(app, "#log"):
                break
        return static_text(app, "#log"), static_text(app, "#status"), rows


def test_hub_screen_pushes_with_a_report(team: Team, tmp_path: Path) -> None:
    a = _store_a(tmp_path)
    cli(a, "hub", "add", "team", team.url(team.writer))
    log, status, rows = asyncio.run(_push_from_app(a))
    assert rows[0][0] == "team" and rows[0][1].startswith(f"postgresql://{team.writer}@")
    assert f"pushed to hub team as {team.writer}: 2 runs, 24 samples" in log, log
    assert status.startswith("pushed to hub team"), status
    assert cli(a, "push").stdout.startswith("nothing to push")
