"""Keys typed right after a key that opens a screen reach that screen (the terminal delivers
``m g /tmp/x`` typed fast, or sent by tmux, in one read: Textual routed ``g`` and the path to
the runs table before ``m`` had opened the menu, and they were lost there)."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle
from textual import events
from textual.widgets import Input

from capslice_tui.app.app import make_app


def type_at_once(app: object, keys: list[str]) -> None:
    """Post ``keys`` as one read from the terminal does: all queued before any is handled."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))  # type: ignore[attr-defined]


async def wait_for_keys(app: object, pilot: object) -> None:
    for _ in range(3):
        await settle(app, pilot)
        await pilot.pause(0.1)  # type: ignore[attr-defined]


async def test_menu_entry_and_text_typed_ahead_reach_the_ingest_form(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        type_at_once(app, ["m", "g", *"/tmp/x.jsonl"])
        await wait_for_keys(app, pilot)
        assert type(app.screen).__name__ == "IngestScreen", app.screen_stack
        assert isinstance(app.focused, Input) and app.focused.id == "ingest-paths"
        assert app.focused.value == "/tmp/x.jsonl"


async def test_keys_typed_ahead_of_enter_move_in_the_screen_it_opens(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        type_at_once(app, ["m", "t", "b", "m", "k"])  # menu, taxonomy, back, menu, trend
        await wait_for_keys(app, pilot)
        names = [type(s).__name__ for s in app.screen_stack]
        assert names == ["RunsScreen", "TrendScreen"], names


async def test_tabs_typed_ahead_move_from_the_field_the_form_focuses(store_path: Path) -> None:
    """The ingest form focuses its first field from on_mount (a deferred focus): Tabs held
    until the form had mounted ran before it, and the focus went back to the first field."""
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        type_at_once(app, ["m", "g", "tab", "r", "u", "n", "tab", "b", "tab", "tab"])
        await wait_for_keys(app, pilot)
        screen = app.screen
        values = {f.id: f.value for f in screen.query(Input)}
        assert values["ingest-paths"] == "" and values["ingest-run"] == "run", values
        assert values["ingest-benchmark"] == "b", values
        assert app.focused is not None and app.focused.id == "ingest-fields", app.focused
