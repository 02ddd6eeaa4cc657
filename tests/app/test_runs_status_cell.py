"""The runs screen's status cell reads whole words at 80x24: a run with several facts (the
base mark, an interrupted ingest, unreadable lines, a team hub) shows those that fit, whole
or in their short form, and a ``+`` for the rest, which ``i`` names; never a cut such as
``BASE incom~`` or ``complete p~`` (a walk read ``BASE compl~``)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pilot_helpers import SIZE, settle
from rich.console import Console

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.runs import fit_status, status_parts
from capslice_tui.workspace import Workspace


def test_status_parts_and_their_fit() -> None:
    run = {
        "status": "incomplete (5432 of 12000 records)",
        "n_bad": 12,
        "origin": "pulled from team",
    }
    parts = status_parts(run, based=True)
    assert parts == [
        ("BASE", "BASE"),
        ("incomplete (5432 of 12000 records)", "incomplete"),
        ("bad:12", "bad:12"),
        ("pulled:team", "pulled"),
    ]
    assert fit_status(parts, 80) == "BASE incomplete (5432 of 12000 records) bad:12 pulled:team"
    assert fit_status(parts, 40) == "BASE incomplete bad:12 pulled"
    assert fit_status(parts, 24) == "BASE incomplete bad:12 +"
    assert fit_status(parts, 23) == "BASE incomplete bad:12+"
    assert fit_status(parts, 22) == "BASE incomplete +"
    assert fit_status(parts, 11) == "BASE +"
    assert fit_status(parts, 5) == "BASE+"
    # BASE stands for complete; an unmarked complete run says so
    assert status_parts({"status": "complete"}, based=True) == [("BASE", "BASE")]
    assert fit_status(status_parts({"status": "complete"}, based=False), 11) == "complete"
    alone = status_parts({"status": "incomplete (1 of 2 records)", "n_bad": 3}, based=False)
    assert fit_status(alone, 11) == "incomplete+"  # the space does not fit, the + does


class CrowdedWorkspace(Workspace):
    """The store's runs, the first two given every fact a status cell can carry."""

    def runs(self, **kwargs: Any) -> list[dict[str, Any]]:
        rows = super().runs(**kwargs)
        rows[0].update(status="incomplete (5432 of 12000 records)", n_bad=12)
        rows[1].update(origin="pulled from team")
        return rows


@pytest.fixture(scope="module")
def crowded_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs named as the demo's (16 characters): the status column gets 15 at 80."""
    from lmeval_files import write_runs

    root = tmp_path_factory.mktemp("crowded")
    runs = write_runs(root / "logs")
    store = root / "store.db"
    ws = Workspace(store)
    ws.ingest([runs["base"]], run="bbh-eos-restored", benchmark="bbh", step=100000)
    ws.ingest([runs["cand"]], run="bbh-eos-masked", benchmark="bbh", step=110000)
    return store


def screen_rows(app: Any) -> list[str]:
    """The table's rows as the terminal shows them (the lines starting with a run name)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    lines = console.export_text(styles=False).split("\n")
    return [ln.rstrip() for ln in lines if ln[1:].startswith("bbh-")]


async def test_status_cells_read_whole_at_80_columns(crowded_store: Path) -> None:
    app = make_app(crowded_store, workspace=CrowdedWorkspace(crowded_store), ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        rows = screen_rows(app)
        assert rows[0].endswith(" incomplete +"), rows  # bad:12 left to i
        assert rows[1].endswith(" complete pulled"), rows  # the hub's name left to i
        await pilot.press("c")  # the first run marked as the base
        await settle(app, pilot)
        rows = screen_rows(app)
        assert rows[0].endswith(" BASE +"), rows
        assert not any("~" in r or "…" in r for r in rows), rows
        await pilot.press("down", "c", "b")  # compared; back: no base marked
        await settle(app, pilot)
        await pilot.press("c")  # the second run as the base
        await settle(app, pilot)
        rows = screen_rows(app)
        assert rows[1].endswith(" BASE pulled"), rows
        await pilot.press("up", "i")  # i names what the + left out
        await settle(app, pilot)
        said = "\n".join(str(n.message) for n in app._notifications)
        assert "status: incomplete (5432 of 12000 records)" in said, said
        assert "12 unreadable lines skipped at ingest (bad:N)" in said, said


def test_i_reads_whole_in_a_notification_or_on_a_screen() -> None:
    from capslice_tui.app.screens.runs import _log_text, fits_a_notification

    assert fits_a_notification("read from a jsonl log (format jsonl)")
    path = "logs/demo-org__demo-1b-step100000/samples_bbh_navigate.jsonl:49:"
    assert not fits_a_notification(f"incomplete: 1 record skipped ({path} invalid JSON)")
    assert not fits_a_notification("\n".join(["a line"] * 7))
    torn = {"status": "incomplete", "incomplete_reason": "1 incomplete trailing record skipped"}
    # the reason says incomplete: no 'status: incomplete' line before it
    assert _log_text(torn) == "incomplete: 1 incomplete trailing record skipped"
    assert _log_text({"status": "ingesting (pid 7 on h)"}) == "status: ingesting (pid 7 on h)"


class InterruptedWorkspace(Workspace):
    """The store's first run shown as an interrupted ingest with its resume command."""

    RESUME = "capslice --store /data/evals/capslice.db ingest /data/evals/logs/bbh-eos-masked --run bbh-eos-masked"

    def runs(self, **kwargs: Any) -> list[dict[str, Any]]:
        rows = super().runs(**kwargs)
        rows[0].update(
            status="incomplete (300 of 480 records)",
            interrupted={
                "reason": "the ingest was stopped (SIGTERM)",
                "resume": self.RESUME,
                "delete": "capslice --store /data/evals/capslice.db delete-run bbh-eos-masked",
            },
        )
        return rows


async def test_i_shows_an_interrupted_ingest_s_commands_whole(crowded_store: Path) -> None:
    from pilot_helpers import static_text

    from capslice_tui.app.screens.text_detail import TextDetailScreen

    app = make_app(crowded_store, workspace=InterruptedWorkspace(crowded_store), ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("i")
        await settle(app, pilot)
        assert isinstance(app.screen, TextDetailScreen)  # a notification cut the command
        lines = static_text(app, "#detail-text").splitlines()
        assert "resume (adds only what is missing):" in lines
        assert InterruptedWorkspace.RESUME.replace(" ", "") in "".join(lines).replace(" ", "")
