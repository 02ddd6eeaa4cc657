"""Menu of the app's screens, generated from ``capslice_tui.app.app.NAVIGATION``."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from ..widgets.cursor import CursorOptionList
from .base import CapsliceScreen


def context_run(stack: list[Any]) -> str | None:
    """The run a menu entry with a ``run_arg`` opens on: ``context_run()`` of the nearest
    screen of ``stack`` (the app's screens, the menu popped) that has one, from the top. A
    screen without one (a sample's detail over its samples table) is passed over, so the
    run under it counts; a screen that has one answers, also with None (a runs table with
    nothing highlighted)."""
    for screen in reversed(stack):
        if hasattr(screen, "context_run"):
            run = screen.context_run()
            return str(run) if run else None
    return None


def context_pair(stack: list[Any]) -> tuple[str, str, str | None] | None:
    """The pair ``(base, cand, benchmark)`` a menu entry that takes one (the plan) opens on:
    of the nearest screen of ``stack``, from the top, that is on a pair (a compare, or a
    diagnosis of base -> cand: its ``base`` and ``cand``) or on one run (it has
    ``context_run``; then None: the entry opens on that run alone, :func:`context_run`)."""
    for screen in reversed(stack):
        base, cand = getattr(screen, "base", None), getattr(screen, "cand", None)
        if isinstance(base, str) and isinstance(cand, str) and base and cand:
            benchmark = getattr(screen, "benchmark", None)
            return base, cand, benchmark if isinstance(benchmark, str) else None
        if hasattr(screen, "context_run"):
            return None
    return None


class MenuScreen(CapsliceScreen):
    """One line per navigation entry; press its key, or highlight it and press Enter."""

    def __init__(self, entries: list[Any]) -> None:
        super().__init__()
        self.entries = entries

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Go to (press the key or Enter):", id="title")
        yield CursorOptionList(
            *[
                Option(Text(f"{e.key}  {e.label}"), id=f"nav-{i}")
                for i, e in enumerate(self.entries)
            ],
            id="menu-list",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "menu"

    def on_key(self, event: events.Key) -> None:
        for entry in self.entries:
            if event.key == entry.key:
                event.stop()
                self._open(entry)
                return

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = int((event.option.id or "nav-0").split("-")[1])
        self._open(self.entries[index])

    def _open(self, entry: Any) -> None:
        self.app.pop_screen()
        self.app.open_navigation(entry)  # type: ignore[attr-defined]
