"""Pilot tests of the discover, label-edit and label-history screens at 80x24."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from lmeval_files import build_store
from pilot_helpers import SIZE, settle, static_text
from pilot_helpers import table_rows as rows
from textual.widgets import Static

from capslice_tui.analysis.discovery import DiscoveryCancelled
from capslice_tui.app.app import NAVIGATION, make_app
from capslice_tui.app.format import pct
from capslice_tui.app.screens.discover import DiscoverScreen, default_name
from capslice_tui.app.screens.label_edit import LabelEditScreen
from capslice_tui.app.screens.label_history import LabelHistoryScreen
from capslice_tui.app.widgets.result_table import ResultTable


@pytest.fixture()
def own_store(tmp_path: Path) -> Path:
    """A store of its own: these tests write labels."""
    return build_store(tmp_path)


def status(app: Any) -> str:
    return str(app.screen.query_one("#status", Static).render())


async def _open_discover(app: Any, pilot: Any) -> None:
    await settle(app, pilot)
    await pilot.press("m")
    await pilot.press("d")
    await settle(app, pilot)
    assert isinstance(app.screen, DiscoverScreen)


async def test_discover_is_in_the_menu_and_runs_with_progress(own_store: Path) -> None:
    assert any(e.key == "d" and "DiscoverScreen" in str(e.factory) for e in NAVIGATION)
    app = make_app(own_store)
    async with app.run_test(size=SIZE) as pilot:
        await _open_discover(app, pilot)
        screen = app.screen
        assert screen.run == "base"
        # all samples by default: an error rate can only differ from the rest's among them
        assert "all samples" in str(screen.query_one("#title", Static).render())
        await pilot.press("d")
        await settle(app, pilot)
        data = screen.data
        assert data is not None and data["saved"] and not data["params"]["failing_only"]
        assert data["structure"] == "clear"
        headers = [str(c.label) for c in screen.query_one(ResultTable).columns.values()]
        assert headers == ["id", "group", "n", "error", "Δerr", "labels", "top terms"]
        table = rows(app)
        assert len(table) == len(data["suggestions"]) >= 1
        first = data["suggestions"][0]
        assert table[0][3] == pct(first["error_rate"])
        ns = "" if first["significant"] else " ns"  # as the CLI marks its q
        assert table[0][4] == f"{100 * first['diff_rest']:+.1f}{ns}"
        assert f"of {data['n_candidates']} groups tested differ" in status(app)
        structure = static_text(app, "#structure")  # the chosen k and why, whole, above
        tested = f"{data['n_significant']} of the {data['n_candidates']} groups tested differ"
        assert tested in structure
        assert data["k_reason"] in structure
        preview = str(screen.query_one("#preview", Static).render())
        assert "wrong" in preview and "tasks:" in preview and "95% CI" in preview
        assert "vs rest" in preview and "significant q=" in preview
        assert "question words:" in preview and "response words:" in preview

        await pilot.press("f")  # failing only
        await pilot.press("k")  # k 4
        assert "failing only" in str(screen.query_one("#title", Static).render())
        await pilot.press("d")
        await settle(app, pilot)
        data = screen.data
        assert data["params"]["k"] == 4 and data["params"]["failing_only"]
        assert data["structure"] == "no error contrast"
        table = rows(app)
        # each of the 4 clusters of this store's failures is one task: every group restates
        # a label, so all are folded (one rule, walk 9 #23) and the status says why
        folded = data["folded"]
        assert not data["suggestions"] and folded
        assert table == [["+", f"{len(folded)} folded", "", "", "", "o shows them"]], table
        assert status(app).startswith(
            f"no suggestion: every group found restates an existing label ({len(folded)}"
            " folded, o shows them)"
        ), status(app)
        # failing only: every member is wrong, so the status says so once and the constant
        # error / Δerr columns give way to the dominant failure mode's share
        assert f"no error contrast in {data['n_samples']} samples" in status(app)
        headers = [str(c.label) for c in screen.query_one(ResultTable).columns.values()]
        assert headers == ["id", "group", "n", "mode", "mode %", "top terms"]
        await pilot.press("o")
        table = rows(app)
        assert len(table) == 1 + len(folded)
        assert table[1][4] == pct(folded[0]["failure_mode_share"], 0)
        assert "Q:" not in table[1][5]  # question words show as q:word, as in the CLI
        assert screen.last_progress == ("done", 1.0)  # progress messages arrived


async def test_accept_and_label_a_suggestion_then_undo_from_history(own_store: Path) -> None:
    app = make_app(own_store)
    async with app.run_test(size=SIZE) as pilot:
        await _open_discover(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        first = app.screen.data["suggestions"][0]

        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, LabelEditScreen)
        name_input = app.screen.query_one("#name")
        name_input.value = ""
        await pilot.press(*"hard-one")
        await pilot.press("enter")  # name -> axis list
        await pilot.press("down", "enter")  # axes in vocabulary order: the 2nd is task_type
        await pilot.press("enter")  # its first value: Enter on the value list saves
        await settle(app, pilot)
        assert isinstance(app.screen, DiscoverScreen)
        assert "accepted" in status(app) and "'hard-one'" in status(app)
        assert rows(app)[0][1] == "✓ hard-one"  # the list marks the accepted suggestion
        ws = app.ws
        named = ws.named_slice("hard-one")
        assert named["n_items"] == first["n_items"] and named["version"] == 2
        value = next(iter(ws.axes()["task_type"]))
        shown = ws.label_show(named["item_ids"][0])["axes"]["task_type"]
        assert shown["effective"] == value and shown["source"] == "hand"

        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, LabelHistoryScreen)
        hist = rows(app)
        assert hist[0][2] == "set" and hist[0][5].startswith(value[:10])
        await pilot.press("enter")
        await settle(app, pilot)
        assert "task_type [hand]" in str(app.screen.query_one("#detail", Static).render())
        await pilot.press("u")  # asks first
        await pilot.pause()
        assert "Undo set by" in app.screen.question  # type: ignore[attr-defined]
        await pilot.press("y")
        await settle(app, pilot)
        assert "undid" in status(app)
        assert rows(app)[0][2] == "undo"
        shown = ws.label_show(named["item_ids"][0])["axes"]["task_type"]
        assert shown["source"] != "hand"


async def test_label_edit_refuses_incomplete_input_and_cancels(own_store: Path) -> None:
    app = make_app(own_store)
    result: list[Any] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        axes = {"task_type": {"algorithmic": "procedures", "state_tracking": "moves"}}
        app.push_screen(LabelEditScreen("label item 1", axes), result.append)
        await pilot.pause()
        await pilot.press("tab", "tab", "enter")  # save without a value
        text = app.screen.query_one("#label-edit-status", Static).render()
        assert "choose an axis" in str(text)
        await pilot.press("escape")
        await pilot.pause()
        assert result == [None]
        app.push_screen(LabelEditScreen("label item 1", axes), result.append)
        await pilot.pause()
        await pilot.press("enter", "down", "tab")  # the highlighted value stays chosen
        await pilot.press(*"seen twice", "enter")
        await pilot.pause()
        edit = result[-1]
        assert (edit.axis, edit.value, edit.note, edit.name) == (
            "task_type",
            "state_tracking",
            "seen twice",
            None,
        )


class _BlockingDiscover:
    """Facade proxy whose discover waits until the screen cancels, then runs the real one."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.raised = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def discover(self, run: str, **kwargs: Any) -> Any:
        should_cancel = kwargs["should_cancel"]
        for _ in range(500):  # at most ~5 s; the test cancels at once
            if should_cancel():
                break
            threading.Event().wait(0.01)
        try:
            return self.real.discover(run, **kwargs)
        except DiscoveryCancelled:
            self.raised.set()
            raise


async def test_x_cancels_a_running_discovery(own_store: Path) -> None:
    from capslice_tui.workspace import Workspace

    proxy = _BlockingDiscover(Workspace(own_store))
    app = make_app(own_store, workspace=proxy)
    async with app.run_test(size=SIZE) as pilot:
        await _open_discover(app, pilot)
        screen = app.screen
        await pilot.press("d")
        assert "discovering" in status(app)
        await pilot.press("x")
        assert await asyncio.to_thread(proxy.raised.wait, 10)
        await pilot.pause()
        assert screen.data is None and not screen.running
        assert status(app) == "discovery cancelled"
        assert rows(app) == []


def test_default_name_drops_one_letter_terms() -> None:
    # "Pia's" tokenises to "person" + "s": the "s" never reaches the name
    assert default_name(["person", "s", "s status", "status"], 0) == "person-status"
    assert default_name(["0", "coordinate", "q:take"], 2) == "coordinate-take"
    assert default_name(["a", "s"], 7) == "cluster-7"


async def test_folded_groups_are_one_row_that_o_unfolds(own_store: Path) -> None:
    """Groups restating a label are one visible row ("+ 2 folded ... o shows them")."""
    from capslice_tui.workspace import Workspace

    data = Workspace(own_store).discover("base").to_dict()
    assert data["suggestions"]
    # folded groups as the workspace gives them: suggestion rows that name what they restate
    last = data["suggestions"][-1]
    novelty = {**last["novelty"], "restates": "task=arith", "relation": "restates task=arith"}
    folded = {**last, "novelty": novelty, "restates": "task=arith", "jaccard": 0.9}
    folded.pop("id", None)  # folded groups are never saved
    data = {**data, "folded": [folded, {**folded, "name": "q:other"}]}
    n = len(data["suggestions"])
    app = make_app(own_store)
    async with app.run_test(size=SIZE) as pilot:
        await _open_discover(app, pilot)
        screen = app.screen
        screen.post_message(DiscoverScreen.Loaded(data))
        await settle(app, pilot)
        table = rows(app)
        assert len(table) == n + 1
        assert table[n][:2] == ["+", "2 folded"] and table[n][-1] == "o shows them"
        assert table[n][5] == "restate labels"
        await pilot.press("o")
        table = rows(app)
        assert len(table) == n + 3 and table[n][0] == "-" and table[n][-1] == "o hides them"
        assert table[n + 1][5].startswith("restates task=")
        assert [r[1] for r in table[n + 1 :]] == [folded["name"], "q:other"]
        screen.query_one(ResultTable).move_cursor(row=n)
        await pilot.pause()
        assert "2 groups hold (nearly) the same items" in static_text(app, "#preview")
        screen.query_one(ResultTable).move_cursor(row=n + 1)
        await pilot.pause()
        assert "restates task=arith" in static_text(app, "#preview")
        await pilot.press("a")  # a folded group is not saved: it cannot be accepted here
        await pilot.pause()
        assert isinstance(app.screen, DiscoverScreen)
        assert "folded group restates an existing label" in status(app)
        await pilot.press("o")
        assert len(rows(app)) == n + 1

        weak = {**data, "structure": "no clear structure", "folded": []}
        screen.post_message(DiscoverScreen.Loaded(weak))
        await settle(app, pilot)
        assert static_text(app, "#structure").startswith("no clear structure")
        assert len(rows(app)) == n  # no fold row without folded groups


async def test_suggestions_that_are_not_significant_are_marked_ns_as_the_cli_does(
    own_store: Path,
) -> None:
    """Under 'no clear structure' the app used to list groups without saying that none is
    significant; each row is marked ``ns`` where the CLI's q column is."""
    from capslice_tui.cli.discover import suggestion_rows
    from capslice_tui.workspace import Workspace

    data = Workspace(own_store).discover("base").to_dict()
    assert data["suggestions"]
    weak = [{**s, "significant": False, "q_value": 0.4} for s in data["suggestions"]]
    data = {**data, "structure": "no clear structure", "suggestions": weak, "folded": []}
    _, cli_rows = suggestion_rows(data)
    app = make_app(own_store)
    async with app.run_test(size=SIZE) as pilot:
        await _open_discover(app, pilot)
        app.screen.post_message(DiscoverScreen.Loaded(data))
        await settle(app, pilot)
        table = rows(app)
        assert static_text(app, "#structure").startswith("no clear structure")
        assert len(table) == len(cli_rows) == len(weak)
        for row, cli in zip(table, cli_rows, strict=True):
            assert row[4].endswith(" ns") and str(cli[7]).endswith(" ns"), (row, cli)
        # a significant group has no mark, in the app as in the CLI
        strong = {**data, "suggestions": [{**weak[0], "significant": True, "q_value": 0.001}]}
        app.screen.post_message(DiscoverScreen.Loaded(strong))
        await settle(app, pilot)
        assert not rows(app)[0][4].endswith("ns")
        assert not str(suggestion_rows(strong)[1][0][7]).endswith("ns")


async def test_notes_name_the_app_key_not_the_cli_flag(own_store: Path) -> None:
    """The analysis's fold note ends '--all shows them' (the CLI's flag); the app's status
    and its notes screen (i) say the app's key, 'o shows them' (walk 14)."""
    from capslice_tui.workspace import Workspace

    data = Workspace(own_store).discover("base").to_dict()
    note = "2 groups restate existing labels and are folded (task=arith); --all shows them"
    data = {**data, "notes": [note]}
    app = make_app(own_store)
    async with app.run_test(size=SIZE) as pilot:
        await _open_discover(app, pilot)
        screen = app.screen
        screen.post_message(DiscoverScreen.Loaded(data))
        await settle(app, pilot)
        said = " ".join(status(app).split())
        assert "--all" not in said, said
        await pilot.press("i")
        await settle(app, pilot)
        text = " ".join(app.screen.text(76).plain.split())
        assert "(task=arith); o shows them" in text and "--all" not in text, text
