"""Console mode (TERM=linux / CAPSLICE_ASCII=1): every screen at 80x24 holds only glyphs the
Linux console fonts draw (ASCII, Latin-1 and the single-line box set), so nothing shows as a
replacement glyph; and the app never animates scrolling (slow links)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from fake_facade import FakeFacade
from pilot_helpers import SIZE, settle
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Input, OptionList

from capslice_tui.app.app import make_app
from capslice_tui.app.console import (
    CONSOLE_GLYPHS,
    AsciiScrollBarRender,
    ascii_console,
    foreign_glyphs,
    to_ascii,
)
from capslice_tui.workspace import Workspace


def screen_text(app: Any) -> str:
    """The text of the whole terminal as drawn (Textual's SVG screenshot, text runs only)."""
    svg = app.export_screenshot()
    body = svg.split("<g class=", 1)[-1]  # past the window title, which is not on screen
    return html.unescape("".join(re.findall(r">([^<]*)</text>", body)))


def assert_console_only(app: Any, where: str) -> None:
    text = screen_text(app)
    assert text.strip(), f"{where}: nothing drawn"
    bad = foreign_glyphs(text)
    assert not bad, f"{where}: glyphs outside the console fonts: {sorted(bad)!r}\n{text}"


def test_mode_from_environment() -> None:
    assert ascii_console({"TERM": "linux"})
    assert ascii_console({"TERM": "xterm-256color", "CAPSLICE_ASCII": "1"})
    assert not ascii_console({"TERM": "linux", "CAPSLICE_ASCII": "0"})
    assert not ascii_console({"TERM": "screen-256color"})
    assert to_ascii("a…b ✓ → █") == "a...b + -> ="
    # the allowed set: printable ASCII, printable Latin-1, the single-line box set only
    assert "é" in CONSOLE_GLYPHS and "─" in CONSOLE_GLYPHS and "┼" in CONSOLE_GLYPHS
    assert not {"▊", "▔", "▁", "▎", "⭘", "▅", "▆", "⏎", "🔎", "╭", "…"} & CONSOLE_GLYPHS


def test_line_filter_never_turns_an_arrow_into_a_comparison() -> None:
    """Cell for cell, ``→`` must not become ``>`` (``577/1319 > 803/1319`` is a false claim)
    and a cut ``…`` stays visible as a cut (not a full stop)."""
    from rich.segment import Segment
    from textual.color import Color

    from capslice_tui.app.console import AsciiLineFilter

    out = AsciiLineFilter().apply([Segment("a → b ← c, cut…")], Color(0, 0, 0))
    text = "".join(s.text for s in out)
    assert ">" not in text and "<" not in text, text
    assert text == "a » b « c, cut~"
    assert not foreign_glyphs(text)


def test_ascii_scrollbar_uses_whole_cells() -> None:
    bar = AsciiScrollBarRender.render_bar(size=10, virtual_size=100, window_size=20, position=40)
    text = "".join(s.text for s in bar.segments)
    assert set(text) <= {" ", "#", "\n"}
    assert text.count("#") == 2  # 20% of 10 cells


async def test_every_screen_draws_console_glyphs_only(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERM", "linux")
    monkeypatch.delenv("CAPSLICE_ASCII", raising=False)
    app = make_app(store_path, workspace=FakeFacade(Workspace(store_path)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.has_class("-ascii")
        assert_console_only(app, "runs")
        await pilot.press("question_mark")
        await pilot.pause()
        enter = Binding("enter", "select", "Open")
        assert app.get_key_display(enter) == "enter"  # named, not drawn as U+23CE
        assert_console_only(app, "help")
        await pilot.press("b")
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        assert_console_only(app, "command palette")
        await pilot.press("escape")
        await pilot.press("m")
        await pilot.pause()
        assert_console_only(app, "menu")
        # borders are ascii by style (capslice.tcss), not only rewritten by the line filter
        menu_list = app.screen.query_one(OptionList)
        assert menu_list.styles.border_top[0] == "ascii" and "+----" in screen_text(app)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("c", "down", "c")  # compare
        await settle(app, pilot)
        assert_console_only(app, "compare")
        await pilot.press("d")  # diagnose
        await settle(app, pilot)
        assert_console_only(app, "diagnose")
        # the pair is joined by "->", never by a one-cell ">" that reads as an inequality
        drawn = screen_text(app).replace("\xa0", " ")
        assert f"diagnose base {app.screen.base} -> cand {app.screen.cand}" in drawn, drawn
        assert not re.search(r"\w >(?!=) \w", drawn), drawn
        input_borders: set[str] = set()
        for key in ("p", "i", "g", "t", "d", "e"):  # plan, interventions, ingest, ...
            app.set_focus(None)  # form inputs take plain keys
            await pilot.press("m", key)
            await settle(app, pilot)
            assert_console_only(app, f"menu {key}: {type(app.screen).__name__}")
            kinds = {field.styles.border_left[0] for field in app.screen.query(Input)}
            assert kinds <= {"ascii", ""}, kinds  # ascii, or none for compact inputs
            input_borders |= kinds
        assert "ascii" in input_borders  # the ingest form's inputs
        app.set_focus(None)
        await pilot.press("m", "k", "enter")  # trend of every run of the model
        await settle(app, pilot)
        assert app.screen.trend is not None
        assert_console_only(app, "trend")
        await pilot.press("m", "r")
        await settle(app, pilot)
        await pilot.press("enter")  # slices
        await settle(app, pilot)
        assert_console_only(app, "slices")
        await pilot.press("enter")  # samples
        await settle(app, pilot)
        assert_console_only(app, "samples")
        await pilot.press("enter")  # sample detail
        await settle(app, pilot)
        assert_console_only(app, "sample detail")


async def test_default_terminal_keeps_textual_glyphs(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without console mode the check above would fail: it can tell the two modes apart."""
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("CAPSLICE_ASCII", raising=False)
    app = make_app(store_path, workspace=FakeFacade(Workspace(store_path)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert not app.has_class("-ascii")
        assert "⭘" in screen_text(app)


async def test_scrolling_never_animates(store_path: Path) -> None:
    """Slow links: a scroll is one jump (one redraw), never a run of animation frames."""
    app = make_app(store_path, workspace=FakeFacade(Workspace(store_path)))
    assert app.animation_level == "none"
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")  # the help screen scrolls
        await pilot.pause()
        scroller = app.screen.query_one(VerticalScroll)
        assert scroller.max_scroll_y > 0
        scroller.scroll_end(animate=True, duration=5.0)
        await pilot.pause()
        assert scroller.scroll_y == scroller.max_scroll_y
