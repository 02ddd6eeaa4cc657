"""Plain letters typed where the user types are text, never keys (fresh-user report: in the
plan form ``b`` and ``q`` went back / quit). The fault was focus landing, by Tab, on a widget
that shows no focus without colour (the plan's notes, the ingest and new-intervention forms'
scroll areas, the interventions table behind an open accept/reject prompt): the next letter
typed was a binding and the text typed so far was lost. Every Tab stop of every screen with an
input is checked: an input types ``b`` and ``q``; any other stop shows its focus (a table's
cursor row, a list, a button's ``> label <``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pilot_helpers import SIZE, fill_plan_inputs, settle
from textual.widgets import Button, DataTable, Input, OptionList, Select

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.ingest import IngestScreen
from capslice_tui.app.screens.intervention_new import InterventionFormScreen
from capslice_tui.app.screens.interventions import InterventionsScreen
from capslice_tui.app.screens.label_edit import LabelEditScreen
from capslice_tui.app.screens.plan import PlanScreen
from capslice_tui.app.screens.prompt import PromptScreen
from capslice_tui.workspace import Workspace

VISIBLE_FOCUS = (Input, DataTable, OptionList, Button, Select)


async def _tab_round(app: Any, pilot: Any) -> list[str]:
    """Tab once around the screen's focus chain (and one more); at each stop an input must
    take ``b`` and ``q`` as text (the screen stays) and any other widget show its focus.
    Returns the stops, as ``Type#id``."""
    screen = app.screen
    stops: list[str] = []
    for _ in range(len(screen.focus_chain) + 1):
        await pilot.press("tab")
        await pilot.pause()
        focused = app.focused
        stops.append(f"{type(focused).__name__}#{getattr(focused, 'id', None)}")
        assert isinstance(focused, VISIBLE_FOCUS), stops
        if isinstance(focused, Input) and focused.type == "text":
            before = focused.value
            await pilot.press("b", "q")
            await pilot.pause()
            assert app.screen is screen, stops
            assert focused.value == before + "bq", (stops, focused.value)
            await pilot.press("backspace", "backspace")
    return stops


async def test_every_tab_stop_of_a_form_types_letters_or_shows_its_focus(
    store_path: Path,
) -> None:
    forms = (
        lambda: PlanScreen("base"),
        IngestScreen,
        InterventionFormScreen,
        lambda: LabelEditScreen("label", {"task_type": {"a": "x"}}, ask_name=True),
        lambda: PromptScreen("file?"),
    )
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for form in forms:
            app.push_screen(form())
            await settle(app, pilot)
            await _tab_round(app, pilot)
            app.pop_screen()
            await settle(app, pilot)


async def test_plan_after_planning_tab_goes_from_the_table_back_to_the_fields(
    store_path: Path,
) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(PlanScreen("mathrun", benchmark="math"))
        await settle(app, pilot)
        fill_plan_inputs(app.screen)  # not the demo's store: catalog and budget are the user's
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.focused, DataTable)  # the plan arrived: x and n are keys
        stops = await _tab_round(app, pilot)
        assert stops[0] == "Input#baseline", stops  # Tab from the table: the first field
        await pilot.press("j")  # the notes still scroll from the table


async def test_interventions_prompt_keeps_the_focus_while_open(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    line = '{"task": "t", "doc_id": %d, "target": "7", "correct": true, "response": "7"}\n'
    (tmp_path / "b.jsonl").write_text("".join(line % d for d in range(30)))
    ws.ingest([tmp_path / "b.jsonl"], run="base", benchmark="math")
    ws.new_intervention(
        title="one", hypothesis="h", baseline="base", benchmark="math",
        targets=[{"task": "t"}], who="alice",
    )  # fmt: skip
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        screen = InterventionsScreen(selected=1)
        app.push_screen(screen)
        await settle(app, pilot)
        await pilot.press("a")  # accept: a note is asked for
        await pilot.press("o", "k", "tab", "q", "shift+tab", "b")
        await pilot.pause()
        assert app.screen is screen
        assert screen.query_one("#prompt", Input).value == "okqb"
        await pilot.press("escape")  # closed, the table has the focus again
        await pilot.pause()
        assert isinstance(app.focused, DataTable) and app.screen is screen
