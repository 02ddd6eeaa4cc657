"""Keys that survive terminals: unknown escape sequences never reach an input; every screen
can be left without Escape; F1 (help) and ctrl+b (back) work while typing; ``u`` undo asks
first; a keymap file overrides bindings by id; the menu keeps the back stack."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import SIZE, settle
from textual.widgets import Input

from capslice_tui.app.app import NAVIGATION, make_app
from capslice_tui.app.keys import KeySafeParser, load_keymap, unknown_sequence
from capslice_tui.app.screens.help import HelpScreen
from capslice_tui.app.screens.interventions import InterventionsScreen
from capslice_tui.app.screens.menu import MenuScreen
from capslice_tui.app.screens.runs import RunsScreen
from capslice_tui.app.screens.slices import SlicesScreen


def _keys(data: str) -> list[str]:
    parser = KeySafeParser()
    events = [*parser.feed(data), *parser.feed("")]
    return [getattr(e, "key", type(e).__name__) for e in events]


@pytest.mark.parametrize(
    ("data", "keys"),
    [
        ("\x1b[1;5I", []),  # ctrl+tab from mintty: not '[', '1', ';', '5', 'I'
        ("\x1b[99~", []),  # not 'c' (kitty code point 99)
        ("a\x1b[1;5Ib\x1b[99~c", ["a", "b", "c"]),
        ("\x1b[A", ["up"]),
        ("\x1b[1;5A", ["ctrl+up"]),
        ("\x1b[3~", ["delete"]),
        ("\x1b[15~", ["f5"]),
        ("\x1b[Z", ["shift+tab"]),
        ("\x1b[[A", ["f1"]),  # Linux console F1
        ("\x1bOP", ["f1"]),
        ("\x1b[97u", ["a"]),  # kitty keyboard protocol
        ("\x1b[27;2;65~", ["A"]),  # xterm modifyOtherKeys: shift+a
        ("\x1b[1;2P", ["shift+f1"]),
        ("\x1b[5;5~", ["ctrl+pageup"]),
        ("\x1b[<0;5;5M", ["MouseDown"]),
        ("\x1b[200~pasted\x1b[201~", ["Paste"]),
        ("\x1b", ["escape"]),
        # Esc then a key in one read (a laggy link): Esc is kept, never alt+key
        ("\x1bb", ["escape", "b"]),  # Textual: ctrl+left (macOS option+left)
        ("\x1bq", ["escape", "q"]),  # Textual: alt+q after the delay
        ("\x1b1", ["escape", "1"]),  # Textual: the character '¡'
        ("\x1b?", ["escape", "question_mark"]),
        ("\x1bB", ["escape", "B"]),
        ("\x1b\x1bb", ["escape", "escape", "b"]),
        ("x\x1bby", ["x", "escape", "b", "y"]),
        ("\x1bOA", ["up"]),  # SS3 cursor key: still one key
    ],
)
def test_the_parser_drops_unknown_sequences_only(data: str, keys: list[str]) -> None:
    assert _keys(data) == keys


def test_unknown_sequence_needs_a_complete_csi() -> None:
    assert unknown_sequence("\x1b[1;5I") and unknown_sequence("\x1b[99~")
    assert not unknown_sequence("\x1b[1;5")  # still being read
    assert not unknown_sequence("\x1b[[")  # the start of a Linux console F-key
    assert not unknown_sequence("\x1b[?2026;2$y")  # a terminal mode report


async def test_the_app_reads_input_with_the_key_safe_parser(store_path: Path) -> None:
    from textual.drivers import linux_driver

    app = make_app(store_path)
    app.get_driver_class()
    assert linux_driver.XTermParser is KeySafeParser


async def test_parsed_escape_sequences_never_type_into_an_input(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "g")  # ingest form: the paths field has the focus
        await settle(app, pilot)
        box = app.focused
        assert isinstance(box, Input)
        parser = KeySafeParser()
        for event in [*parser.feed("ab\x1b[1;5Ic\x1b[99~d"), *parser.feed("")]:
            app.post_message(event)
            await pilot.pause()
        assert box.value == "abcd"


async def test_f1_and_ctrl_b_work_while_typing(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "p")  # plan form: the baseline field has the focus
        await settle(app, pilot)
        box = app.focused
        assert isinstance(box, Input)
        run = box.value  # the highlighted run, filled in: typing extends it
        await pilot.press("question_mark", "b", "q")  # typed, not help/back/quit
        assert box.value == f"{run}?bq"
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = str(app.screen.query_one("#help-text").render())
        assert "f1         Help, also while typing" in help_text, help_text
        assert "ctrl+b     Back, also while typing" in help_text, help_text
        await pilot.press("ctrl+b")  # out of help
        await pilot.pause()
        assert app.focused is box and box.value == f"{run}?bq"
        await pilot.press("ctrl+b")  # out of the plan form
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)


@pytest.mark.parametrize("entry", NAVIGATION[1:], ids=lambda e: e.key)
async def test_every_menu_screen_is_left_without_escape(store_path: Path, entry) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", entry.key)
        await settle(app, pilot)
        assert len(app.screen_stack) == 2, entry.label
        await pilot.press("ctrl+b")
        await settle(app, pilot)
        assert isinstance(app.screen, RunsScreen), entry.label
        await pilot.press("m", entry.key)
        await settle(app, pilot)
        if not isinstance(app.focused, Input):  # b is a plain key where no input has focus
            await pilot.press("b")
            await settle(app, pilot)
            assert isinstance(app.screen, RunsScreen), entry.label


async def test_the_menu_keeps_the_back_stack(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SlicesScreen)
        await pilot.press("m", "i")
        await settle(app, pilot)
        assert isinstance(app.screen, InterventionsScreen)
        await pilot.press("m", "i")  # the same screen again replaces it, never stacks
        await settle(app, pilot)
        assert len(app.screen_stack) == 3
        await pilot.press("q")
        await settle(app, pilot)
        assert isinstance(app.screen, SlicesScreen)  # back where the menu was opened


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_load_keymap_reports_problems_by_file_and_line(tmp_path: Path) -> None:
    good = _write(tmp_path / "k.yaml", "app.menu: f2\nruns.mark: ' c , space '\n")
    assert load_keymap(good, {"app.menu", "runs.mark"}) == (
        {"app.menu": "f2", "runs.mark": "c,space"},
        [],
    )
    keymap, problems = load_keymap(good, {"app.menu"})
    assert keymap == {"app.menu": "f2"}
    assert problems == [f"{good}: unknown binding id 'runs.mark' (ignored)"]
    bad = _write(tmp_path / "bad.yaml", "app.menu: f2\n  oops: [\n")
    keymap, problems = load_keymap(bad)
    assert keymap == {} and problems[0].startswith(f"{bad} line 2: not valid YAML")
    assert load_keymap(_write(tmp_path / "list.yaml", "- a\n"))[1] == [
        f"{tmp_path / 'list.yaml'}: a keymap is a mapping 'binding-id: keys', not list"
    ]
    assert load_keymap(_write(tmp_path / "n.yaml", "app.menu: 3\n"))[1] == [
        f"{tmp_path / 'n.yaml'}: entry 'app.menu': keys must be text like 'f2' or 'c,space'"
    ]


async def test_a_keymap_file_overrides_bindings_by_id(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keymap = _write(tmp_path / "keymap.yaml", "app.menu: f2\nruns.mark: space\nno.such: x\n")
    monkeypatch.setenv("CAPSLICE_KEYMAP", str(keymap))
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        messages = [n.message for n in app._notifications]
        assert f"{keymap}: unknown binding id 'no.such' (ignored)" in messages
        await pilot.press("m")  # no longer the menu key
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("space")  # runs.mark moved to space
        await pilot.pause()
        assert app.screen.base is not None  # type: ignore[attr-defined]
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, MenuScreen)


async def test_a_missing_named_keymap_is_said(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAPSLICE_KEYMAP", str(tmp_path / "nope.yaml"))
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        messages = [n.message for n in app._notifications]
        assert any("nope.yaml: no such keymap file" in m for m in messages)


async def test_keys_typed_right_after_tab_land_in_the_next_field(store_path: Path) -> None:
    from textual import events

    from capslice_tui.app.screens.plan import PlanScreen

    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(PlanScreen())  # empty fields (menu p fills in the run)
        await settle(app, pilot)
        # all at once, as a fast typist or a paste-like burst over ssh delivers them
        for key, char in [("b", "b"), ("a", "a"), ("tab", None), ("c", "c"), ("d", "d")]:
            app.post_message(events.Key(key, char))
        for key, char in [("shift+tab", None), ("e", "e")]:
            app.post_message(events.Key(key, char))
        await pilot.pause()
        await settle(app, pilot)
        values = {w.id: w.value for w in app.screen.query(Input)}
        # shift+tab back into "ba" kept it: focus never selects (and so wipes) a field's text
        assert (values["baseline"], values["benchmark"]) == ("bae", "cd")
        catalog = values["catalog"]
        await pilot.press("tab", "tab", "x")  # the pre-filled catalog path keeps its text
        assert app.screen.query_one("#catalog", Input).value == catalog + "x"
